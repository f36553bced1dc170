// Alerts waiting for the webhook whose next attempt is due, oldest first.
MATCH (al:Alert {webhook: 'pending'})
WHERE al.webhook_next_at IS NULL OR al.webhook_next_at <= $now
RETURN al.alert_id AS alert_id, al.kind AS kind, al.network_id AS network_id,
       al.accounts AS accounts, al.evidence AS evidence, al.batch AS batch,
       al.load_id AS load_id, al.status AS status, toString(al.created_at) AS created_at,
       al.webhook_attempts AS webhook_attempts
ORDER BY al.created_at, al.alert_id
LIMIT $limit;
