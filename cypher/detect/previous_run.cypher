// The latest complete detection run before this one, with its networks'
// members (for identity across runs).
MATCH (r:DetectionRun {status: 'complete'})
WITH r
ORDER BY r.started_at DESC
LIMIT 1
MATCH (n:Network {run_id: r.run_id})<-[:MEMBER_OF]-(a:Account)
RETURN r.run_id AS run_id, r.started_at.epochSeconds AS started, n.network_id AS network_id,
       collect(a.account_id) AS members;
