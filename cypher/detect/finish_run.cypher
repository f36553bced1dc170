// Mark a run complete with its timings and counts: from now on it is the
// latest run the pages show.
MATCH (r:DetectionRun {run_id: $run_id})
SET
  r.status = 'complete',
  r.finished_at = datetime(),
  r.timings = $timings,
  r.counts = $counts,
  r.population = $population,
  r.changes = $changes
RETURN r.run_id AS run_id;
