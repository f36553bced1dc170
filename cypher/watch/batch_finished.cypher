// A batch of the watched inbox has left it: moved to done/ (status done) or
// to failed/ with its reason (status failed).
MERGE (b:InboxBatch {batch_key: $batch_key})
ON CREATE SET b.name = $name, b.digest = $digest, b.inbox = $inbox,
              b.arrived_at = $arrived_at, b.attempts = 0
SET b.status = $status, b.moved_to = $moved_to, b.reason = $reason,
    b.finished_at = datetime()
RETURN b.status AS status;
