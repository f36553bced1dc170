// Accounts a load created or changed (`last_load`) that share a device, a
// payment token, an API key or an address with banned accounts, one row per
// shared entity with the accounts using it that no alert has named for that
// entity yet. An address counts only while few accounts use it
// ($address_accounts): a carrier NAT or a campus exit is shared by strangers.
MATCH (a:Account {last_load: $load_id})
WHERE coalesce(a.status, 'active') <> 'banned'
CALL (a) {
  MATCH (a)-[:USED_DEVICE]->(e:Device)<-[:USED_DEVICE]-(b:Account {status: 'banned'})
  RETURN 'device' AS kind, e.fingerprint AS value, collect(DISTINCT b.account_id) AS banned
  UNION
  MATCH (a)-[:PAID_WITH]->(e:Payment)<-[:PAID_WITH]-(b:Account {status: 'banned'})
  RETURN 'payment' AS kind, e.fingerprint AS value, collect(DISTINCT b.account_id) AS banned
  UNION
  MATCH (a)-[:USED_KEY]->(e:ApiKey)<-[:USED_KEY]-(b:Account {status: 'banned'})
  RETURN 'api key' AS kind, e.api_key_id AS value, collect(DISTINCT b.account_id) AS banned
  UNION
  MATCH (a)-[:USED_IP]->(e:IP)<-[:USED_IP]-(b:Account {status: 'banned'})
  WHERE COUNT { (e)<-[:USED_IP]-(:Account) } <= $address_accounts
  RETURN 'address' AS kind, e.address AS value, collect(DISTINCT b.account_id) AS banned
}
WITH kind, value, banned, a
WHERE NOT EXISTS {
  MATCH (:Alert {kind: 'banned_infrastructure', entity_kind: kind, entity: value})-[:ABOUT]->(a)
}
WITH kind, value, collect(a.account_id) AS accounts, banned
UNWIND banned AS b
WITH kind, value, accounts, collect(DISTINCT b) AS banned
OPTIONAL MATCH (r:DetectionRun {run_id: $run_id})
WITH kind, value, accounts, banned, coalesce(r.chain, [r.run_id], []) AS chain
CALL (banned, chain) {
  OPTIONAL MATCH (x:Account)-[m:MEMBER_OF]->(n:Network)
  WHERE x.account_id IN banned AND m.flagged AND m.run_id IN chain
    AND NOT coalesce(n.replaced_by, '') IN chain
  WITH n.network_id AS network, count(x) AS members
  ORDER BY members DESC, network
  RETURN collect(network)[0] AS network
}
RETURN kind, value, accounts, banned, network
ORDER BY kind, value;
