// Every EmailDomain key, for matching partners' hashed or fuzzy indicators in the app,
// in one list (a record a key costs the driver 25 times as much).
MATCH (e:EmailDomain)
RETURN collect(e.name) AS keys;
