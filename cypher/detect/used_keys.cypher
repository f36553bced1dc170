// Account-to-API-key roll-ups.
MATCH (a:Account)-[u:USED_KEY]->(k:ApiKey)
RETURN a.account_id AS account_id, k.api_key_id AS key, u.sessions AS sessions;
