// The limits an admin set for saved and ad-hoc queries (no row before the first change).
MATCH (l:QueryLimits {scope: 'global'})
RETURN l.timeout_seconds AS timeout_seconds,
       l.max_rows AS max_rows,
       l.max_bytes AS max_bytes,
       l.updated_by AS updated_by,
       toString(l.updated_at) AS updated_at
LIMIT 1;
