// A batch of the watched inbox is loaded: its load (provenance) and report.
MATCH (b:InboxBatch {batch_key: $batch_key})
MATCH (l:Load {load_id: $load_id})
SET b.status = 'loaded', b.load_id = $load_id, b.report = $report, b.loaded_at = datetime()
MERGE (b)-[:LOADED_AS]->(l)
RETURN b.status AS status;
