// Since when an incremental run on run $parent looks at what loads changed:
// when the parent began to read the graph, or the start of a load that
// finished after that read (it may have written part of its accounts before).
MATCH (r:DetectionRun {run_id: $parent})
WITH coalesce(r.read_at, r.started_at) AS read_at
OPTIONAL MATCH (l:Load)
WHERE l.finished_at >= read_at
WITH read_at, min(l.started_at) AS straddling
RETURN CASE WHEN straddling < read_at THEN straddling ELSE read_at END AS since;
