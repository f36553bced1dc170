// Every EmailDomain key, for matching partners' hashed or fuzzy indicators in the app.
MATCH (e:EmailDomain)
RETURN e.name AS key
LIMIT 50000000;
