// A detection run's parameters and times, for a case's provenance.
MATCH (r:DetectionRun {run_id: $run_id})
RETURN r.run_id AS run_id, toString(r.started_at) AS started_at,
       toString(r.finished_at) AS finished_at, r.algorithm AS algorithm, r.params AS params;
