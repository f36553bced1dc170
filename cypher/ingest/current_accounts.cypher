// What the graph holds now for these accounts (a rerun skips unchanged ones).
UNWIND $ids AS id
MATCH (a:Account {account_id: id})
RETURN a.account_id AS key, properties(a) AS props;
