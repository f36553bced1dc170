// The login behind a token id, with the token's stored hash.
MATCH (u:User)-[:HAS_TOKEN]->(t:ApiToken {token_id: $token_id})
RETURN u.username AS username, u.role AS role, u.active AS active,
       t.secret_hash AS secret_hash, t.revoked AS revoked
LIMIT 1;
