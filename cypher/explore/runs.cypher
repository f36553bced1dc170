// The latest complete detection runs, the one completed last first.
MATCH (r:DetectionRun {status: 'complete'})
RETURN r.run_id AS run_id, toString(r.started_at) AS started_at,
       toString(r.finished_at) AS finished_at, r.algorithm AS algorithm, r.counts AS counts,
       r.changes AS changes, r.population AS population, coalesce(r.kind, 'full') AS kind,
       r.parent AS parent, coalesce(r.chain, [r.run_id]) AS chain
ORDER BY r.finished_at DESC
LIMIT $limit;
