// title: Networks that grew since the last run
// description: Networks of the latest run with more accounts than the network
// description: they continue from the run before, and their new heads.
// category: Networks
// param: min_growth int(0..100000) = 1 -- Accounts gained at least
// param: include_new bool = false -- Also list networks first seen in this run
// param: limit int(1..1000) = 100 -- Rows to show at most
CALL () {
  MATCH (r:DetectionRun {status: 'complete'})
  RETURN coalesce(r.chain, [r.run_id]) AS chain
  ORDER BY r.finished_at DESC
  LIMIT 1
}
UNWIND chain AS rid
MATCH (n:Network {run_id: rid})
// Excluded: snapshots a later run of the chain replaced.
WHERE NOT coalesce(n.replaced_by, '') IN chain
OPTIONAL MATCH (n)-[:CONTINUES]->(before:Network)
WITH n, before, n.size - coalesce(before.size, 0) AS growth
// Excluded: networks that grew less than asked for, and new ones unless asked for.
WHERE growth >= $min_growth
  AND (before IS NOT NULL OR $include_new)
RETURN n.network_id AS network,
       n.flagged AS suspected,
       before.size AS previous_size,
       n.size AS size,
       growth,
       size(coalesce(n.new_heads, [])) AS new_heads,
       coalesce(n.new_heads, [])[..10] AS new_head_sample
ORDER BY growth DESC, network
LIMIT $limit
