// Open a case: its facts and the frozen snapshot (JSON) of what it was opened on.
CREATE (c:Case {case_id: $case_id})
SET c += $props
RETURN c.case_id AS case_id;
