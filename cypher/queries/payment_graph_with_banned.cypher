// title: Payment links around banned accounts (graph)
// description: The accounts, tokens and PAID_WITH links between banned accounts
// description: and the open accounts that share their payment tokens, as a graph.
// category: Payments
// param: limit int(1..500) = 100 -- Paths to show at most
MATCH path = (banned:Account {status: 'banned'})-[:PAID_WITH]->(:Payment)<-[:PAID_WITH]-(a:Account)
// Excluded: pairs of banned accounts (already acted on).
WHERE a.status <> 'banned'
RETURN path
LIMIT $limit
