// Send an alert the webhook gave up on again at the sender's next look.
MATCH (al:Alert {alert_id: $alert_id})
WHERE al.webhook = 'failed'
SET al.webhook = 'pending', al.webhook_attempts = 0, al.webhook_next_at = null
RETURN al.alert_id AS alert_id;
