// Every Payment key, for matching partners' hashed or fuzzy indicators in the app.
MATCH (e:Payment)
RETURN e.fingerprint AS key
LIMIT 50000000;
