// Every Device key, for matching partners' hashed or fuzzy indicators in the app,
// in one list (a record a key costs the driver 25 times as much).
MATCH (e:Device)
RETURN collect(e.fingerprint) AS keys;
