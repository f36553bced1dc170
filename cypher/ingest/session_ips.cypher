// Link a batch of new sessions to their client addresses, and keep the
// account-level roll-up (:Account)-[:USED_IP {sessions, first_seen, last_seen}]->(:IP)
// correct: only new sessions are passed in, so a rerun adds nothing.
CALL () {
  UNWIND $nodes AS node
  MERGE (e:IP {address: node.key})
  ON CREATE SET e.network_type = 'unknown', e.version = node.version
  MERGE (px:Prefix {cidr: node.prefix})
  MERGE (e)-[:IN_PREFIX]->(px)
}
CALL () {
  UNWIND $links AS link
  MATCH (s:Session {session_id: link.session_id})
  MATCH (e:IP {address: link.key})
  CREATE (s)-[:FROM_IP]->(e)
}
CALL () {
  UNWIND $rollups AS r
  MATCH (a:Account {account_id: r.account_id})
  MATCH (e:IP {address: r.key})
  MERGE (a)-[u:USED_IP]->(e)
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
