// Cases that pass the filters, with their member counts (sorted and paged by the caller).
MATCH (c:Case)
// Excluded: cases of another status or assignee when one is asked for.
WHERE ($status IS NULL OR c.status = $status)
  AND ($assignee IS NULL OR c.assignee = $assignee)
RETURN c.case_id AS case_id, c.number AS number, c.title AS title, c.status AS status,
       c.priority AS priority, c.assignee AS assignee, c.created_at AS created_at,
       c.updated_at AS updated_at, c.network_id AS network_id, c.run_id AS run_id,
       COUNT { (c)-[:INCLUDES]->(:Account) } AS members
ORDER BY c.number DESC
LIMIT 5000;
