// This installation's identity as a producer of shared intelligence: made once,
// kept with the data, so every object it publishes names the same producer.
MERGE (p:Provider {key: 'self'})
ON CREATE SET p.identity_uuid = $identity_uuid, p.created_at = datetime()
RETURN p.identity_uuid AS identity_uuid;
