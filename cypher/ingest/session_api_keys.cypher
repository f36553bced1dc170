// Link a batch of new sessions to their API keys, and keep the
// account-level roll-up (:Account)-[:USED_KEY {sessions, first_seen, last_seen}]->(:ApiKey)
// correct: only new sessions are passed in, so a rerun adds nothing.
CALL () {
  UNWIND $nodes AS node
  MERGE (:ApiKey {api_key_id: node.key})
}
CALL () {
  UNWIND $links AS link
  MATCH (s:Session {session_id: link.session_id})
  MATCH (e:ApiKey {api_key_id: link.key})
  CREATE (s)-[:WITH_KEY]->(e)
}
CALL () {
  UNWIND $rollups AS r
  MATCH (a:Account {account_id: r.account_id})
  MATCH (e:ApiKey {api_key_id: r.key})
  MERGE (a)-[u:USED_KEY]->(e)
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
