// Link a batch of new sessions to their user agents, and keep the
// account-level roll-up (:Account)-[:USED_AGENT {sessions, first_seen, last_seen}]->(:UserAgent)
// correct: only new sessions are passed in, so a rerun adds nothing.
CALL () {
  UNWIND $nodes AS node
  MERGE (:UserAgent {value: node.key})
}
CALL () {
  UNWIND $links AS link
  MATCH (s:Session {session_id: link.session_id})
  MATCH (e:UserAgent {value: link.key})
  CREATE (s)-[:WITH_AGENT]->(e)
}
CALL () {
  UNWIND $rollups AS r
  MATCH (a:Account {account_id: r.account_id})
  MATCH (e:UserAgent {value: r.key})
  MERGE (a)-[u:USED_AGENT]->(e)
  ON CREATE SET
    u.sessions = r.sessions,
    u.first_seen = r.first_seen,
    u.last_seen = r.last_seen
  ON MATCH SET
    u.sessions = u.sessions + r.sessions,
    u.first_seen = CASE WHEN r.first_seen < u.first_seen THEN r.first_seen ELSE u.first_seen END,
    u.last_seen = CASE WHEN r.last_seen > u.last_seen THEN r.last_seen ELSE u.last_seen END
}
RETURN size($links) AS linked;
