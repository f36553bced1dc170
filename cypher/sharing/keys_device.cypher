// Every Device key, for matching partners' hashed or fuzzy indicators in the app.
MATCH (e:Device)
RETURN e.fingerprint AS key
LIMIT 50000000;
