// Assign an alert to a login (null: to nobody), with who did it and when.
MATCH (al:Alert {alert_id: $alert_id})
WITH al, al.assigned_to AS before
SET al.assigned_to = $assignee, al.assigned_by = $actor, al.assigned_at = datetime()
RETURN before, al.assigned_to AS assignee;
