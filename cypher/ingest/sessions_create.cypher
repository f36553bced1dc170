// Create a batch of new sessions (never seen before) under their accounts,
// link each to its address, device and prompt template (created just
// before by session_entities), and add them to the accounts' running
// totals, marked with the load that changed them (`last_load`, `loaded_at`:
// what incremental detection reads as new or changed). Times come as microseconds since the epoch (much cheaper to send
// than temporal values) and become datetimes here. The properties are
// named one by one (a null one is simply not stored): `SET s = map` would
// make the planner buffer every row (Eager) before the links.
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_id})
MATCH (ip:IP {address: row.ip})
CREATE (a)-[:HAS_SESSION]->(s:Session {
  session_id: row.session_id, account_id: row.account_id, ip: row.ip,
  user_agent: row.user_agent, api_key_id: row.api_key_id, model: row.model,
  requests: row.requests, input_tokens: row.input_tokens, output_tokens: row.output_tokens,
  prompt_fingerprint: row.prompt_fingerprint, prompt_category: row.prompt_category,
  reasoning_request: row.reasoning_request, sensitive_rewrite: row.sensitive_rewrite,
  refusals: row.refusals,
  started_at: datetime({epochSeconds: row.started_us / 1000000, nanosecond: row.started_us % 1000000 * 1000}),
  ended_at: CASE WHEN row.ended_us IS NULL THEN null ELSE datetime({epochSeconds: row.ended_us / 1000000, nanosecond: row.ended_us % 1000000 * 1000}) END
})-[:FROM_IP]->(ip)
WITH a, s, row
CALL (s, row) {
  MATCH (d:Device {fingerprint: row.device_fingerprint})
  CREATE (s)-[:ON_DEVICE]->(d)
}
WITH a, s, row
CALL (s, row) {
  MATCH (t:PromptTemplate {fingerprint: row.prompt_fingerprint})
  CREATE (s)-[:USED_TEMPLATE]->(t)
}
WITH a,
     count(*) AS sessions,
     sum(row.requests) AS requests,
     sum(coalesce(row.input_tokens, 0)) AS input_tokens,
     sum(coalesce(row.output_tokens, 0)) AS output_tokens,
     sum(CASE WHEN row.reasoning_request THEN 1 ELSE 0 END) AS reasoning,
     sum(CASE WHEN row.sensitive_rewrite THEN 1 ELSE 0 END) AS rewrites,
     sum(coalesce(row.refusals, 0)) AS refusals,
     min(row.started_us) AS first_us,
     max(row.started_us) AS last_us
WITH a, sessions, requests, input_tokens, output_tokens, reasoning, rewrites, refusals,
     datetime({epochSeconds: first_us / 1000000, nanosecond: first_us % 1000000 * 1000}) AS first_seen,
     datetime({epochSeconds: last_us / 1000000, nanosecond: last_us % 1000000 * 1000}) AS last_seen
SET
  a.sessions = coalesce(a.sessions, 0) + sessions,
  a.requests = coalesce(a.requests, 0) + requests,
  a.input_tokens = coalesce(a.input_tokens, 0) + input_tokens,
  a.output_tokens = coalesce(a.output_tokens, 0) + output_tokens,
  a.reasoning_sessions = coalesce(a.reasoning_sessions, 0) + reasoning,
  a.rewrite_sessions = coalesce(a.rewrite_sessions, 0) + rewrites,
  a.refusals = coalesce(a.refusals, 0) + refusals,
  a.first_seen = CASE WHEN a.first_seen IS NULL OR first_seen < a.first_seen THEN first_seen ELSE a.first_seen END,
  a.last_seen = CASE WHEN a.last_seen IS NULL OR last_seen > a.last_seen THEN last_seen ELSE a.last_seen END,
  a.last_load = $load_id,
  a.loaded_at = $loaded_at
RETURN sum(sessions) AS created;
