// Account-level roll-ups of a batch of new sessions, one per kind of entity:
// (:Account)-[:USED_IP|USED_DEVICE|USED_KEY|USED_AGENT
//   {sessions, first_seen, last_seen, loaded_at}]->(entity), `loaded_at` being
// when the load that first linked the two began (incremental detection asks
// which accounts gained a link since a run).
// Only new sessions are counted in, so a rerun adds nothing. Times come as
// microseconds since the epoch. Prompt templates have no roll-up: nearly
// every benign prompt is unique, so it would double the session links.
CALL () {
  UNWIND $ips AS r
  MATCH (a:Account {account_id: r.account_id})
  MATCH (e:IP {address: r.key})
  WITH a, e, r,
       datetime({epochSeconds: r.first_us / 1000000, nanosecond: r.first_us % 1000000 * 1000}) AS first_seen,
       datetime({epochSeconds: r.last_us / 1000000, nanosecond: r.last_us % 1000000 * 1000}) AS last_seen
  MERGE (a)-[u:USED_IP]->(e)
  ON CREATE SET
    u.sessions = r.sessions,
    u.first_seen = first_seen,
    u.last_seen = last_seen,
    u.loaded_at = $loaded_at
  ON MATCH SET
    u.sessions = u.sessions + r.sessions,
    u.first_seen = CASE WHEN first_seen < u.first_seen THEN first_seen ELSE u.first_seen END,
    u.last_seen = CASE WHEN last_seen > u.last_seen THEN last_seen ELSE u.last_seen END
}
CALL () {
  UNWIND $devices AS r
  MATCH (a:Account {account_id: r.account_id})
  MATCH (e:Device {fingerprint: r.key})
  WITH a, e, r,
       datetime({epochSeconds: r.first_us / 1000000, nanosecond: r.first_us % 1000000 * 1000}) AS first_seen,
       datetime({epochSeconds: r.last_us / 1000000, nanosecond: r.last_us % 1000000 * 1000}) AS last_seen
  MERGE (a)-[u:USED_DEVICE]->(e)
  ON CREATE SET
    u.sessions = r.sessions,
    u.first_seen = first_seen,
    u.last_seen = last_seen,
    u.loaded_at = $loaded_at
  ON MATCH SET
    u.sessions = u.sessions + r.sessions,
    u.first_seen = CASE WHEN first_seen < u.first_seen THEN first_seen ELSE u.first_seen END,
    u.last_seen = CASE WHEN last_seen > u.last_seen THEN last_seen ELSE u.last_seen END
}
CALL () {
  UNWIND $api_keys AS r
  MATCH (a:Account {account_id: r.account_id})
  MATCH (e:ApiKey {api_key_id: r.key})
  WITH a, e, r,
       datetime({epochSeconds: r.first_us / 1000000, nanosecond: r.first_us % 1000000 * 1000}) AS first_seen,
       datetime({epochSeconds: r.last_us / 1000000, nanosecond: r.last_us % 1000000 * 1000}) AS last_seen
  MERGE (a)-[u:USED_KEY]->(e)
  ON CREATE SET
    u.sessions = r.sessions,
    u.first_seen = first_seen,
    u.last_seen = last_seen,
    u.loaded_at = $loaded_at
  ON MATCH SET
    u.sessions = u.sessions + r.sessions,
    u.first_seen = CASE WHEN first_seen < u.first_seen THEN first_seen ELSE u.first_seen END,
    u.last_seen = CASE WHEN last_seen > u.last_seen THEN last_seen ELSE u.last_seen END
}
CALL () {
  UNWIND $user_agents AS r
  MATCH (a:Account {account_id: r.account_id})
  MATCH (e:UserAgent {value: r.key})
  WITH a, e, r,
       datetime({epochSeconds: r.first_us / 1000000, nanosecond: r.first_us % 1000000 * 1000}) AS first_seen,
       datetime({epochSeconds: r.last_us / 1000000, nanosecond: r.last_us % 1000000 * 1000}) AS last_seen
  MERGE (a)-[u:USED_AGENT]->(e)
  ON CREATE SET
    u.sessions = r.sessions,
    u.first_seen = first_seen,
    u.last_seen = last_seen,
    u.loaded_at = $loaded_at
  ON MATCH SET
    u.sessions = u.sessions + r.sessions,
    u.first_seen = CASE WHEN first_seen < u.first_seen THEN first_seen ELSE u.first_seen END,
    u.last_seen = CASE WHEN last_seen > u.last_seen THEN last_seen ELSE u.last_seen END
}
RETURN size($ips) AS ips;
