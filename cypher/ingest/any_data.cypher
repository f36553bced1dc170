// Whether the graph holds anything besides schema records (a bulk import
// replaces the whole database, so it runs only when this is empty).
MATCH (n)
// Excluded: the schema-migration records, which the import's restart re-creates.
WHERE NOT n:SchemaMigration
RETURN 1 AS found
LIMIT 1;
