// A partner's new token and the collections it may read (replacing what it had).
MERGE (p:Partner {name: $name})
SET p.token_id = $token_id, p.secret_hash = $secret_hash, p.revoked = false,
    p.created_at = $created_at, p.expires_at = $expires_at, p.created_by = $actor,
    p.revoked_at = null
WITH p
OPTIONAL MATCH (p)-[old:CAN_READ]->(:Collection)
DELETE old
WITH DISTINCT p
UNWIND $collection_ids AS collection_id
MATCH (c:Collection {collection_id: collection_id})
MERGE (p)-[:CAN_READ]->(c)
RETURN count(c) AS granted;
