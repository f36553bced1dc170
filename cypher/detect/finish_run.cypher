// Mark a run complete with its timings and counts: from now on it is the
// latest run the pages show. Runs finish one at a time (the lock on the
// runs' sequence node), and an incremental run completes only while its
// parent is still the latest complete run: otherwise a full run completed
// meanwhile, and the incremental run is `superseded` (never shown) instead
// of hiding it.
MERGE (lock:Sequence {name: 'detection_run'})
ON CREATE SET lock.value = 0
SET lock.value = lock.value + 1
WITH lock
MATCH (r:DetectionRun {run_id: $run_id})
OPTIONAL CALL () {
  MATCH (l:DetectionRun {status: 'complete'})
  RETURN l.run_id AS latest
  ORDER BY l.finished_at DESC
  LIMIT 1
}
WITH r, coalesce(r.kind, 'full') = 'full' OR r.parent = latest AS current
SET
  r.status = CASE WHEN current THEN 'complete' ELSE 'superseded' END,
  r.finished_at = datetime.realtime(),
  r.timings = $timings,
  r.counts = $counts,
  r.population = $population,
  r.reference = $reference,
  r.changes = $changes
RETURN r.run_id AS run_id, r.status AS status;
