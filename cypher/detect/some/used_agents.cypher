// User-agent roll-ups of the accounts named in $ids.
UNWIND $ids AS id
MATCH (a:Account {account_id: id})-[u:USED_AGENT]->(ua:UserAgent)
RETURN a.account_id AS account_id, ua.value AS key, u.sessions AS sessions;
