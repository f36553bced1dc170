// The address prefixes (/24, /48) the given accounts' addresses fall in.
UNWIND $account_ids AS id
MATCH (a:Account {account_id: id})-[u:USED_IP]->(:IP)-[:IN_PREFIX]->(p:Prefix)
RETURN a.account_id AS account_id, p.cidr AS key, sum(u.sessions) AS sessions
LIMIT 2000000;
