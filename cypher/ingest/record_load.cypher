// Record a finished load: where from, when, and its report (provenance for
// the data snapshot a detection run or a case dossier rests on).
CREATE (l:Load {load_id: $load_id})
SET
  l.directory = $directory,
  l.started_at = $started_at,
  l.finished_at = datetime(),
  l.report = $report
RETURN l.load_id AS load_id;
