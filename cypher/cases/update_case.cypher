// Change a case's title, status, priority or assignee (null keeps the value).
MATCH (c:Case {case_id: $case_id})
SET c.title = coalesce($title, c.title),
    c.status = coalesce($status, c.status),
    c.priority = coalesce($priority, c.priority),
    c.assignee = CASE WHEN $assignee IS NULL THEN c.assignee WHEN $assignee = '' THEN null ELSE $assignee END,
    c.updated_at = $at
RETURN c.case_id AS case_id;
