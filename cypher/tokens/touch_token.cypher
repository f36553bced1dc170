// Note when a token was last used (at most once a minute per token).
MATCH (t:ApiToken {token_id: $token_id})
WHERE t.last_used_at IS NULL OR t.last_used_at < datetime() - duration('PT1M')
SET t.last_used_at = datetime();
