// The latest complete detection run before this one, with its networks'
// members as its chain shows them (for identity across runs).
MATCH (r:DetectionRun {status: 'complete'})
WITH r
ORDER BY r.finished_at DESC
LIMIT 1
WITH r, coalesce(r.chain, [r.run_id]) AS chain
UNWIND chain AS rid
MATCH (n:Network {run_id: rid})
// Excluded: snapshots a later run of the chain replaced.
WHERE NOT coalesce(n.replaced_by, '') IN chain
MATCH (n)<-[:MEMBER_OF]-(a:Account)
RETURN r.run_id AS run_id, r.started_at.epochSeconds AS started, n.network_id AS network_id,
       n.run_id AS snapshot_run, collect(a.account_id) AS members;
