// The accounts named in $ids with what the detector scores them by (as
// detect/accounts reads every account), in id order.
UNWIND $ids AS id
MATCH (a:Account {account_id: id})
RETURN
  a.account_id AS account_id,
  a.created_at.epochSeconds AS created,
  a.status AS status,
  a.status_changed_at.epochSeconds AS status_changed,
  a.plan AS plan,
  a.email_domain AS email_domain,
  a.org_id AS org_id,
  a.payment_fingerprint AS payment,
  a.signup_ip AS signup_ip,
  coalesce(a.sessions, 0) AS sessions,
  coalesce(a.requests, 0) AS requests,
  coalesce(a.input_tokens, 0) + coalesce(a.output_tokens, 0) AS tokens,
  coalesce(a.reasoning_sessions, 0) AS reasoning,
  coalesce(a.rewrite_sessions, 0) AS rewrites,
  coalesce(a.refusals, 0) AS refusals
ORDER BY account_id;
