// The latest complete detection run: the one that completed last, of either
// kind (an incremental run that built on an older parent never completes).
MATCH (r:DetectionRun {status: 'complete'})
RETURN r {.*, started_at: toString(r.started_at), finished_at: toString(r.finished_at),
          kind: coalesce(r.kind, 'full'), chain: coalesce(r.chain, [r.run_id])} AS run
ORDER BY r.finished_at DESC
LIMIT 1;
