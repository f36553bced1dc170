// How many alerts match the inbox's filters (when the page asked for is empty).
MATCH (al:Alert)
WHERE ($status IS NULL OR al.status = $status) AND ($kind IS NULL OR al.kind = $kind)
RETURN count(al) AS total;
