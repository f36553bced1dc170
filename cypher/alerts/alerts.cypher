// Alerts, newest first, optionally of one status, one kind, one network and
// one assignee ('' for none); with the count of all that match (for paging).
MATCH (al:Alert)
WHERE ($status IS NULL OR al.status = $status) AND ($kind IS NULL OR al.kind = $kind)
  AND ($network_id IS NULL OR al.network_id = $network_id)
  AND ($assignee IS NULL OR coalesce(al.assigned_to, '') = $assignee)
WITH al ORDER BY al.created_at DESC, al.alert_id DESC
WITH collect(al) AS matching
UNWIND matching[$skip..$skip + $limit] AS al
RETURN al.alert_id AS alert_id, al.kind AS kind, al.network_id AS network_id,
       al.accounts AS accounts, al.status AS status, toString(al.created_at) AS created_at,
       al.batch AS batch, al.load_id AS load_id, al.evidence AS evidence,
       al.status_changed_by AS status_changed_by,
       toString(al.status_changed_at) AS status_changed_at, al.assigned_to AS assigned_to,
       al.webhook AS webhook, size(matching) AS total;
