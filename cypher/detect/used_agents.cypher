// Account-to-user-agent roll-ups.
MATCH (a:Account)-[u:USED_AGENT]->(ua:UserAgent)
RETURN a.account_id AS account_id, ua.value AS key, u.sessions AS sessions;
