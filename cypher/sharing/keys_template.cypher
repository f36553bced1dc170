// Every PromptTemplate key, for matching partners' hashed or fuzzy indicators in the app,
// in one list (a record a key costs the driver 25 times as much).
MATCH (e:PromptTemplate)
RETURN collect(e.fingerprint) AS keys;
