// Which of these account ids are already in the graph.
UNWIND $ids AS id
MATCH (a:Account {account_id: id})
RETURN a.account_id AS account_id;
