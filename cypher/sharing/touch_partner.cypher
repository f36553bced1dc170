// Note when a partner last read (at most once a minute).
MATCH (p:Partner {name: $name})
WHERE p.last_used_at IS NULL OR p.last_used_at < datetime() - duration('PT1M')
SET p.last_used_at = datetime();
