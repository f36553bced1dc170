// Replace a case's computed analysis (activity, infrastructure links) after its members change.
MATCH (c:Case {case_id: $case_id})
SET c.analysis = $analysis,
    c.updated_at = $at
RETURN c.case_id AS case_id;
