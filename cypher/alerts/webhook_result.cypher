// Record one webhook attempt: delivered, pending again (with the next try's
// time) or failed for good, and what went wrong.
MATCH (al:Alert {alert_id: $alert_id})
SET al.webhook = $status, al.webhook_attempts = $attempts, al.webhook_error = $error,
    al.webhook_next_at = $next_at, al.webhook_at = datetime(),
    al.webhook_delivered_at = CASE WHEN $status = 'delivered' THEN datetime()
                                   ELSE al.webhook_delivered_at END
RETURN al.webhook AS webhook;
