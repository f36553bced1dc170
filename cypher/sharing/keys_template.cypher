// Every PromptTemplate key, for matching partners' hashed or fuzzy indicators in the app.
MATCH (e:PromptTemplate)
RETURN e.fingerprint AS key
LIMIT 50000000;
