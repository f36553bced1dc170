// Start a detection run; pages ignore it until it is marked complete. A full
// run's chain is itself; an incremental run's is itself, then its parent's.
// `read_at` is when the run began to read the graph: what loads changed
// after it is for the next incremental run.
CREATE (r:DetectionRun {run_id: $run_id})
SET
  r.started_at = datetime(),
  r.read_at = $read_at,
  r.status = 'running',
  r.kind = $kind,
  r.parent = $parent,
  r.chain = $chain,
  r.algorithm = $algorithm,
  r.params = $params
RETURN r.run_id AS run_id;
