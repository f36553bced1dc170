// The batches of one inbox, newest first.
MATCH (b:InboxBatch {inbox: $inbox})
RETURN b.name AS name, b.status AS status, b.load_id AS load_id, b.reason AS reason,
       b.arrived_at AS arrived_at, b.finished_at AS finished_at, b.attempts AS attempts
ORDER BY b.arrived_at DESC, b.name DESC
LIMIT $limit;
