// A partner by name, with the collections it may read.
MATCH (p:Partner {name: $name})
OPTIONAL MATCH (p)-[:CAN_READ]->(c:Collection)
RETURN p {.name, .token_id, .revoked, .created_at, .expires_at} AS partner,
       collect(c.name) AS collections
LIMIT 1;
