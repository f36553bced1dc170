// title: Regrowth: new accounts on the addresses or devices of banned ones
// description: Accounts created after a ban that use an address or device the
// description: banned account used: a hydra growing a new head.
// category: Regrowth
// param: within_days int(1..3650) = 90 -- Days after the ban a new account counts
// param: max_sharing int(2..100000) = 50 -- Ignore addresses or devices used by more accounts (carrier NAT, shared offices)
// param: limit int(1..1000) = 100 -- Rows to show at most
MATCH (banned:Account {status: 'banned'})-[:USED_IP|USED_DEVICE]->(e)<-[:USED_IP|USED_DEVICE]-(a:Account)
WITH banned, e, a, coalesce(banned.status_changed_at, banned.last_seen, banned.created_at) AS ban
// Excluded: accounts created before the ban or long after it, banned ones,
// and hub entities that link strangers.
WHERE a.status <> 'banned'
  AND a.created_at > ban
  AND a.created_at <= ban + duration({days: $within_days})
  AND COUNT { (e)<-[:USED_IP|USED_DEVICE]-(:Account) } <= $max_sharing
WITH a, collect(DISTINCT banned.account_id) AS banned_accounts,
     collect(DISTINCT coalesce(e.address, e.fingerprint)) AS shared
RETURN a.account_id AS account,
       a.created_at AS created_at,
       a.status AS status,
       size(banned_accounts) AS banned_neighbours,
       banned_accounts[..5] AS banned_sample,
       shared[..5] AS shared_entities
ORDER BY banned_neighbours DESC, created_at DESC
LIMIT $limit
