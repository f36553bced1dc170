// A batch of the watched inbox is being loaded (again, after a crash: the
// loader's rerun completes what the first try began and adds nothing twice).
MERGE (b:InboxBatch {batch_key: $batch_key})
ON CREATE SET b.name = $name, b.digest = $digest, b.inbox = $inbox,
              b.arrived_at = $arrived_at, b.attempts = 0
SET b.status = 'loading', b.taken_at = datetime(), b.attempts = b.attempts + 1
RETURN b.attempts AS attempts;
