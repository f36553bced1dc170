// Record that a schema migration file was applied.
MERGE (m:SchemaMigration {name: $name})
SET m.checksum = $checksum,
    m.applied_at = datetime()
RETURN m.name AS name;
