// One complete detection run by id (nothing for a run still running, failed
// or superseded).
MATCH (r:DetectionRun {run_id: $run_id, status: 'complete'})
RETURN r.run_id AS run_id, toString(r.started_at) AS started_at,
       toString(r.finished_at) AS finished_at, r.algorithm AS algorithm, r.counts AS counts,
       r.changes AS changes, r.population AS population, coalesce(r.kind, 'full') AS kind,
       r.parent AS parent, coalesce(r.chain, [r.run_id]) AS chain;
