// The schema migrations already applied, by file name.
MATCH (m:SchemaMigration)
RETURN m.name AS name, m.checksum AS checksum
ORDER BY name
LIMIT 10000;
