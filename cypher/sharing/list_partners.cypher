// Every partner, with its collections and when it last read (never its secret).
MATCH (p:Partner)
OPTIONAL MATCH (p)-[:CAN_READ]->(c:Collection)
WITH p, collect(c.name) AS collections
RETURN p.name AS name, p.token_id AS token_id, p.revoked AS revoked,
       p.created_at AS created_at, p.expires_at AS expires_at,
       toString(p.last_used_at) AS last_used_at, collections
ORDER BY name
LIMIT 1000;
