// Where a batch of the watched inbox got to (none: never seen).
MATCH (b:InboxBatch {batch_key: $batch_key})
RETURN b.status AS status, b.load_id AS load_id, b.report AS report;
