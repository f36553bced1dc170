// The latest complete detection run.
MATCH (r:DetectionRun {status: 'complete'})
RETURN r {.*, started_at: toString(r.started_at), finished_at: toString(r.finished_at)} AS run
ORDER BY r.started_at DESC
LIMIT 1;
