// title: Shortest path between two accounts over shared entities
// description: How two accounts connect through addresses, devices, payment
// description: tokens, API keys, sign-up addresses, user agents and orgs.
// category: Links
// param: from_account account -- First account id
// param: to_account account -- Second account id
// param: max_sharing int(2..1000000) = 200 -- Skip entities used by more accounts (hubs)
MATCH (a:Account {account_id: $from_account})
MATCH (b:Account {account_id: $to_account})
MATCH path = shortestPath((a)-[:USED_IP|USED_DEVICE|USED_KEY|PAID_WITH|SIGNED_UP_FROM|USED_AGENT|IN_ORG*..8]-(b))
// Excluded: paths through hub entities, which link strangers.
WHERE all(x IN nodes(path)[1..-1] WHERE x:Account OR COUNT { (x)--(:Account) } <= $max_sharing)
RETURN path,
       length(path) AS hops
LIMIT 1
