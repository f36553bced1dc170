// The partner behind a token id, with its stored hash and the collections it may read.
MATCH (p:Partner {token_id: $token_id})
OPTIONAL MATCH (p)-[:CAN_READ]->(c:Collection)
RETURN p.name AS name, p.secret_hash AS secret_hash, p.revoked AS revoked,
       p.expires_at AS expires_at, collect(c.collection_id) AS collection_ids
LIMIT 1;
