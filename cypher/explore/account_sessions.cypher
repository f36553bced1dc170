// An account's latest sessions.
MATCH (:Account {account_id: $account_id})-[:HAS_SESSION]->(s:Session)
RETURN s.session_id AS session_id, toString(s.started_at) AS started_at, s.ip AS ip,
       s.model AS model, s.requests AS requests, s.prompt_category AS category,
       s.reasoning_request AS reasoning, s.sensitive_rewrite AS rewrite,
       s.prompt_fingerprint AS template
ORDER BY s.started_at DESC
LIMIT $limit;
