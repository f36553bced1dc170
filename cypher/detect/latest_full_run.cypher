// The latest complete full detection run (incremental runs build on it).
MATCH (r:DetectionRun {status: 'complete'})
WHERE coalesce(r.kind, 'full') = 'full'
RETURN r.run_id AS run_id, r.finished_at AS finished_at
ORDER BY r.finished_at DESC
LIMIT 1;
