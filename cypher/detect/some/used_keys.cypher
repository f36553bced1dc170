// API-key roll-ups of the accounts named in $ids.
UNWIND $ids AS id
MATCH (a:Account {account_id: id})-[u:USED_KEY]->(k:ApiKey)
RETURN a.account_id AS account_id, k.api_key_id AS key, u.sessions AS sessions;
