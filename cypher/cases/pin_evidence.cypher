// Pin a query result or graph view to a case, as it was when it ran.
MATCH (c:Case {case_id: $case_id})
CREATE (p:PinnedEvidence {evidence_id: $evidence_id})
SET p += $props
CREATE (c)-[:PINNED]->(p)
SET c.updated_at = $at
RETURN p.evidence_id AS evidence_id;
