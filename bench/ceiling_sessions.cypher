// The server's ceiling for the loader's sessions (bench/ingest.py, timed):
// one statement creates a batch of sessions with the same properties as
// cypher/ingest/sessions_create.cypher and the four links the loader writes
// (account, address, device, template) to nodes that exist already, with no
// roll-ups, no account totals and no entity merges. The rows are the
// loader's own (times as microseconds since the epoch).
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
WITH s, row
CALL (s, row) {
  MATCH (d:Device {fingerprint: row.device_fingerprint})
  CREATE (s)-[:ON_DEVICE]->(d)
}
WITH s, row
CALL (s, row) {
  MATCH (t:PromptTemplate {fingerprint: row.prompt_fingerprint})
  CREATE (s)-[:USED_TEMPLATE]->(t)
}
RETURN count(*) AS created;
