// Which of these session ids are already in the graph (a rerun skips them).
UNWIND $ids AS id
MATCH (s:Session {session_id: id})
RETURN s.session_id AS session_id;
