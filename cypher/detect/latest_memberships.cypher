// Every membership of the latest complete run (as its chain shows it): which
// network each account is in.
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
MATCH (a:Account)-[m:MEMBER_OF]->(n)
RETURN a.account_id AS account_id, n.network_id AS network_id, m.flagged AS flagged;
