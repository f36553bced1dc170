// A case's notes, oldest first.
MATCH (:Case {case_id: $case_id})-[:HAS_NOTE]->(n:Note)
RETURN n {.*} AS note
ORDER BY n.created_at, n.note_id
LIMIT 5000;
