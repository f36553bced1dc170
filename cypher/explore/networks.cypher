// Networks of one run (its chain: the full run it builds on and the copies
// its incremental runs made) that pass the filters, best score first, with
// their size in the snapshot they continue (growth).
MATCH (r:DetectionRun {run_id: $run_id})
WITH coalesce(r.chain, [r.run_id]) AS chain
UNWIND chain AS rid
MATCH (n:Network {run_id: rid})
// Excluded: snapshots a later run of the chain replaced, networks below the
// score or size asked for, or not flagged when only suspected ones are asked for.
WHERE NOT coalesce(n.replaced_by, '') IN chain
  AND n.score >= $min_score
  AND n.size >= $min_size
  AND (NOT $suspected_only OR n.flagged)
OPTIONAL MATCH (n)-[:CONTINUES]->(before:Network)
RETURN n.network_id AS network_id, n.score AS score, n.intent AS intent,
       n.flagged AS flagged, n.size AS size, n.sessions AS sessions, n.tokens AS tokens,
       n.requests AS requests, n.banned AS banned, n.reasons AS reasons, n.status AS status,
       before.size AS previous_size, size(n.new_heads) AS new_heads
ORDER BY score DESC, size DESC, network_id
LIMIT 5000;
