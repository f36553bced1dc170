// Whether the graph holds any account at all.
MATCH (a:Account)
RETURN a.account_id AS account_id
LIMIT 1;
