// A case's pinned evidence, oldest first.
MATCH (:Case {case_id: $case_id})-[:PINNED]->(p:PinnedEvidence)
RETURN p {.*} AS evidence
ORDER BY p.pinned_at, p.evidence_id
LIMIT 1000;
