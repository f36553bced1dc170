// Set the limits for saved and ad-hoc queries (one node for the whole app).
MERGE (l:QueryLimits {scope: 'global'})
SET
  l.timeout_seconds = $timeout_seconds,
  l.max_rows = $max_rows,
  l.max_bytes = $max_bytes,
  l.updated_by = $updated_by,
  l.updated_at = datetime()
RETURN l.scope AS scope;
