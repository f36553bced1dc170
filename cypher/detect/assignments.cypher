// One row per account for the latest complete run: the suspected network it
// is flagged in (if any), its score and flag.
CALL () {
  MATCH (r:DetectionRun {status: 'complete'})
  RETURN r.run_id AS run_id
  ORDER BY r.started_at DESC
  LIMIT 1
}
MATCH (a:Account)
OPTIONAL MATCH (a)-[m:MEMBER_OF {run_id: run_id}]->(n:Network)
RETURN a.account_id AS account_id,
       CASE WHEN m.flagged THEN n.network_id ELSE null END AS network,
       coalesce(m.score, 0.0) AS score,
       coalesce(m.flagged, false) AS flagged
ORDER BY account_id;
