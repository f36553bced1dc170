// Every membership of the latest complete run: which network each account is in.
CALL () {
  MATCH (r:DetectionRun {status: 'complete'})
  RETURN r.run_id AS run_id
  ORDER BY r.started_at DESC
  LIMIT 1
}
MATCH (a:Account)-[m:MEMBER_OF {run_id: run_id}]->(n:Network)
RETURN a.account_id AS account_id, n.network_id AS network_id, m.flagged AS flagged;
