// Delete up to $batch nodes of data (tests and `hydrascope db reset`).
// Excluded: schema-migration records, so the schema stays known as applied.
MATCH (n)
WHERE NOT n:SchemaMigration
WITH n
LIMIT $batch
DETACH DELETE n
RETURN count(*) AS deleted;
