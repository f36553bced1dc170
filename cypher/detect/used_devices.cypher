// Account-to-device roll-ups.
MATCH (a:Account)-[u:USED_DEVICE]->(d:Device)
RETURN a.account_id AS account_id, d.fingerprint AS key, u.sessions AS sessions;
