// Start a detection run; pages ignore it until it is marked complete.
CREATE (r:DetectionRun {run_id: $run_id})
SET
  r.started_at = datetime(),
  r.status = 'running',
  r.algorithm = $algorithm,
  r.params = $params
RETURN r.run_id AS run_id;
