// Change an alert's status (open, acknowledged, closed), with who changed it.
MATCH (al:Alert {alert_id: $alert_id})
WITH al, al.status AS before
SET al.status = $status, al.status_changed_by = $actor, al.status_changed_at = datetime()
RETURN before, al.status AS status;
