// A new API token of an existing login.
MATCH (u:User {username: $username})
CREATE (u)-[:HAS_TOKEN]->(t:ApiToken {
  token_id: $token_id,
  secret_hash: $secret_hash,
  label: $label,
  created_at: datetime(),
  revoked: false
})
RETURN t.token_id AS token_id;
