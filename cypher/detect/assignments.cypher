// One row per account for the latest complete run (as its chain shows it):
// the suspected network it is flagged in (if any), its score and flag.
CALL () {
  MATCH (r:DetectionRun {status: 'complete'})
  RETURN coalesce(r.chain, [r.run_id]) AS chain
  ORDER BY r.finished_at DESC
  LIMIT 1
}
MATCH (a:Account)
OPTIONAL CALL (a, chain) {
  MATCH (a)-[m:MEMBER_OF]->(n:Network)
  // Excluded: other runs, and snapshots a later run of the chain replaced.
  WHERE m.run_id IN chain AND NOT coalesce(n.replaced_by, '') IN chain
  RETURN m, n
  LIMIT 1
}
RETURN a.account_id AS account_id,
       CASE WHEN m.flagged THEN n.network_id ELSE null END AS network,
       coalesce(m.score, 0.0) AS score,
       coalesce(m.flagged, false) AS flagged
ORDER BY account_id;
