// title: An account's neighbourhood (graph)
// description: Accounts that share an address, device, payment token or API key
// description: with one account, and the entities they share.
// category: Links
// param: account_id account -- The account id
// param: max_sharing int(2..100000) = 50 -- Skip entities used by more accounts (hubs)
// param: limit int(1..1000) = 200 -- Paths to show at most
MATCH path = (a:Account {account_id: $account_id})-[:USED_IP|USED_DEVICE|PAID_WITH|USED_KEY]->(e)<-[:USED_IP|USED_DEVICE|PAID_WITH|USED_KEY]-(other:Account)
// Excluded: hub entities that link strangers.
WHERE other <> a
  AND COUNT { (e)<-[:USED_IP|USED_DEVICE|PAID_WITH|USED_KEY]-(:Account) } <= $max_sharing
RETURN path
LIMIT $limit
