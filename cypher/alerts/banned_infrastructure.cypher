// The new accounts of a load (`last_load`, and every link they have came with
// it: first active now) that share a device, a payment token, an API key or
// an address with banned accounts, and that no banned_infrastructure alert
// named yet; one row per account and shared entity, with the banned accounts
// using it and the suspected network of run $run_id (as its chain shows it)
// most of them were flagged in. An address counts only while few accounts
// use it ($address_accounts): a carrier NAT or a campus exit is shared by
// strangers.
MATCH (a:Account {last_load: $load_id})
WHERE coalesce(a.status, 'active') <> 'banned'
  AND NOT EXISTS {
    (a)-[u:USED_IP|USED_DEVICE|USED_KEY|USED_AGENT]->() WHERE u.loaded_at < a.loaded_at
  }
  AND NOT EXISTS { (:Alert {kind: 'banned_infrastructure'})-[:ABOUT]->(a) }
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
  // Few users first (a degree, cheap): a carrier NAT's thousands are never walked.
  MATCH (a)-[:USED_IP]->(e:IP)
  WHERE COUNT { (e)<-[:USED_IP]-() } <= $address_accounts
  MATCH (e)<-[:USED_IP]-(b:Account {status: 'banned'})
  RETURN 'address' AS kind, e.address AS value, collect(DISTINCT b.account_id) AS banned
}
OPTIONAL MATCH (r:DetectionRun {run_id: $run_id})
WITH a, kind, value, banned, coalesce(r.chain, [r.run_id], []) AS chain
CALL (banned, chain) {
  OPTIONAL MATCH (x:Account)-[m:MEMBER_OF]->(n:Network)
  WHERE x.account_id IN banned AND m.flagged AND m.run_id IN chain
    AND NOT coalesce(n.replaced_by, '') IN chain
  WITH n.network_id AS network, count(x) AS members
  ORDER BY members DESC, network
  RETURN collect(network)[0] AS network
}
RETURN a.account_id AS account, kind, value, banned, network
ORDER BY account, kind, value;
