// title: Token spend by network
// description: Input and output tokens consumed by the members of each network
// description: of the latest detection run.
// category: Networks
// param: suspected_only bool = true -- Only networks the detector flagged
// param: limit int(1..1000) = 50 -- Rows to show at most
CALL () {
  MATCH (r:DetectionRun {status: 'complete'})
  RETURN coalesce(r.chain, [r.run_id]) AS chain
  ORDER BY r.finished_at DESC
  LIMIT 1
}
UNWIND chain AS rid
MATCH (n:Network {run_id: rid})
// Excluded: snapshots a later run of the chain replaced, and networks not
// flagged when only suspected ones are asked for.
WHERE NOT coalesce(n.replaced_by, '') IN chain
  AND (n.flagged OR NOT $suspected_only)
MATCH (a:Account)-[:MEMBER_OF]->(n)
WITH n, sum(a.input_tokens) AS input_tokens, sum(a.output_tokens) AS output_tokens,
     sum(a.sessions) AS sessions, sum(a.reasoning_sessions) AS reasoning_sessions
RETURN n.network_id AS network,
       round(n.score, 3) AS score,
       n.size AS accounts,
       sessions,
       input_tokens,
       output_tokens,
       input_tokens + output_tokens AS tokens,
       reasoning_sessions
ORDER BY tokens DESC, network
LIMIT $limit
