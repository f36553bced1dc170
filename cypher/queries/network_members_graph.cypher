// title: A network's members and what they share (graph)
// description: The members of one network of the latest run with the devices,
// description: payment tokens and API keys that two or more of them share.
// category: Networks
// param: network_id string = HN-00001 -- Network id, e.g. HN-00001
// param: limit int(1..2000) = 300 -- Links to show at most
CALL () {
  MATCH (r:DetectionRun {status: 'complete'})
  RETURN coalesce(r.chain, [r.run_id]) AS chain
  ORDER BY r.finished_at DESC
  LIMIT 1
}
UNWIND chain AS rid
MATCH (n:Network {network_id: $network_id, run_id: rid})
// Excluded: snapshots a later run of the chain replaced.
WHERE NOT coalesce(n.replaced_by, '') IN chain
MATCH (n)<-[:MEMBER_OF]-(a:Account)
MATCH (a)-[link:USED_DEVICE|PAID_WITH|USED_KEY]->(e)
// Excluded: entities only one member uses (they link nothing).
WHERE COUNT { (e)<-[:USED_DEVICE|PAID_WITH|USED_KEY]-(:Account)-[:MEMBER_OF]->(n) } >= 2
RETURN a, link, e
LIMIT $limit
