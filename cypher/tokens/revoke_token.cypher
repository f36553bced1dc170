// Revoke one of a login's tokens.
MATCH (:User {username: $username})-[:HAS_TOKEN]->(t:ApiToken {token_id: $token_id})
SET t.revoked = true, t.revoked_at = datetime()
RETURN t.token_id AS token_id;
