// Accounts that share addresses, devices, keys or payment tokens with one
// account, ranked by how many such entities they share.
MATCH (a:Account {account_id: $account_id})-[:USED_IP|USED_DEVICE|USED_KEY|PAID_WITH|SIGNED_UP_FROM]->(e)
// Excluded: hub entities (a carrier NAT, a big VPN exit) that would make
// thousands of strangers neighbours; they are listed under linked entities.
WHERE COUNT { (e)<-[:USED_IP|USED_DEVICE|USED_KEY|PAID_WITH|SIGNED_UP_FROM]-(:Account) } <= $max_sharers
MATCH (e)<-[:USED_IP|USED_DEVICE|USED_KEY|PAID_WITH|SIGNED_UP_FROM]-(other:Account)
// Excluded: the account itself.
WHERE other <> a
WITH other, collect(DISTINCT {kind: CASE WHEN e:IP THEN 'address' WHEN e:Device THEN 'device' WHEN e:Payment THEN 'payment' ELSE 'api key' END,
                              key: coalesce(e.address, e.fingerprint, e.api_key_id)}) AS shared
RETURN other.account_id AS account_id, other.status AS status, size(shared) AS shared_count,
       shared[..4] AS shared
ORDER BY shared_count DESC, account_id
LIMIT $limit;
