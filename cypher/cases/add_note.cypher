// Add a note to a case.
MATCH (c:Case {case_id: $case_id})
CREATE (n:Note {note_id: $note_id, body: $body, author: $author, created_at: $at})
CREATE (c)-[:HAS_NOTE]->(n)
SET c.updated_at = $at
RETURN n.note_id AS note_id;
