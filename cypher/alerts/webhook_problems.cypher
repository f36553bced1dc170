// Alerts the webhook has not taken yet after at least one attempt, or never
// will: the admin page's list, newest first.
MATCH (al:Alert)
WHERE al.webhook = 'failed' OR (al.webhook = 'pending' AND al.webhook_attempts > 0)
RETURN al.alert_id AS alert_id, al.kind AS kind, al.webhook AS webhook,
       al.webhook_attempts AS attempts, al.webhook_error AS error,
       toString(al.webhook_at) AS last_attempt, toString(al.webhook_next_at) AS next_attempt,
       toString(al.created_at) AS created_at
ORDER BY al.created_at DESC
LIMIT $limit;
