// A login's tokens, newest first (never their secrets).
MATCH (:User {username: $username})-[:HAS_TOKEN]->(t:ApiToken)
RETURN t.token_id AS token_id, t.label AS label, toString(t.created_at) AS created_at,
       toString(t.last_used_at) AS last_used_at, t.revoked AS revoked
ORDER BY t.created_at DESC
LIMIT 100;
