// Create a batch of new sessions (never seen before) under their accounts,
// and add them to the accounts' running totals.
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_id})
CREATE (s:Session)
SET s = row.props
CREATE (a)-[:HAS_SESSION]->(s)
WITH a,
     count(s) AS sessions,
     sum(row.props.requests) AS requests,
     sum(coalesce(row.props.input_tokens, 0)) AS input_tokens,
     sum(coalesce(row.props.output_tokens, 0)) AS output_tokens,
     sum(CASE WHEN row.props.reasoning_request THEN 1 ELSE 0 END) AS reasoning,
     sum(CASE WHEN row.props.sensitive_rewrite THEN 1 ELSE 0 END) AS rewrites,
     sum(coalesce(row.props.refusals, 0)) AS refusals,
     min(row.props.started_at) AS first_seen,
     max(row.props.started_at) AS last_seen
SET
  a.sessions = coalesce(a.sessions, 0) + sessions,
  a.requests = coalesce(a.requests, 0) + requests,
  a.input_tokens = coalesce(a.input_tokens, 0) + input_tokens,
  a.output_tokens = coalesce(a.output_tokens, 0) + output_tokens,
  a.reasoning_sessions = coalesce(a.reasoning_sessions, 0) + reasoning,
  a.rewrite_sessions = coalesce(a.rewrite_sessions, 0) + rewrites,
  a.refusals = coalesce(a.refusals, 0) + refusals,
  a.first_seen = CASE WHEN a.first_seen IS NULL OR first_seen < a.first_seen THEN first_seen ELSE a.first_seen END,
  a.last_seen = CASE WHEN a.last_seen IS NULL OR last_seen > a.last_seen THEN last_seen ELSE a.last_seen END
RETURN sum(sessions) AS created;
