// Device roll-ups of the accounts named in $ids.
UNWIND $ids AS id
MATCH (a:Account {account_id: id})-[u:USED_DEVICE]->(d:Device)
RETURN a.account_id AS account_id, d.fingerprint AS key, u.sessions AS sessions;
