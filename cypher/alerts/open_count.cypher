// How many alerts are open (the count in the top bar).
MATCH (al:Alert {status: 'open'})
RETURN count(al) AS open;
