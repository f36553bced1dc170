// The latest complete detection runs, newest first.
MATCH (r:DetectionRun {status: 'complete'})
RETURN r.run_id AS run_id, toString(r.started_at) AS started_at,
       toString(r.finished_at) AS finished_at, r.algorithm AS algorithm, r.counts AS counts,
       r.changes AS changes, r.population AS population
ORDER BY r.started_at DESC
LIMIT $limit;
