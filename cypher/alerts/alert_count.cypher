// How many alerts match the inbox's filters (when the page asked for is empty).
MATCH (al:Alert)
WHERE ($status IS NULL OR al.status = $status) AND ($kind IS NULL OR al.kind = $kind)
  AND ($network_id IS NULL OR al.network_id = $network_id)
  AND ($assignee IS NULL OR coalesce(al.assigned_to, '') = $assignee)
RETURN count(al) AS total;
