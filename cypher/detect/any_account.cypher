// Whether the graph holds an account (something to detect on).
MATCH (a:Account)
RETURN 1 AS found
LIMIT 1;
