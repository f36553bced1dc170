// The bipartite picture of a network: members and the entities at least two
// of them share (addresses, devices, payment tokens, API keys), capped.
MATCH (:Network {network_id: $network_id, run_id: $run_id})<-[m:MEMBER_OF]-(a:Account)
WITH collect(a) AS members, collect({id: a.account_id, status: a.status, score: m.score}) AS accounts
CALL (members) {
  UNWIND members AS a
  MATCH (a)-[:USED_IP|USED_DEVICE|PAID_WITH|USED_KEY]->(e)
  WITH e, collect(a.account_id) AS users
  // Excluded: entities only one member touches.
  WHERE size(users) >= 2
  RETURN collect({
    kind: CASE WHEN e:IP THEN 'address' WHEN e:Device THEN 'device' WHEN e:Payment THEN 'payment' ELSE 'api key' END,
    key: coalesce(e.address, e.fingerprint, e.api_key_id),
    network_type: e.network_type,
    accounts: users
  })[..$max_entities] AS entities
}
RETURN accounts, entities;
