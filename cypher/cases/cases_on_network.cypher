// Cases opened on a network (in any run), newest first.
MATCH (c:Case {network_id: $network_id})
RETURN c.case_id AS case_id, c.status AS status, c.run_id AS run_id
ORDER BY c.number DESC
LIMIT 100;
