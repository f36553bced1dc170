// Every account with what the detector scores it by, in id order (so that a
// run does not depend on the order the accounts were loaded in), with its
// address, device, API key and user-agent roll-ups. Rows of $chunk accounts:
// a row costs the client far more than the values in it. Each account is
// [account_id, created, status, status_changed, plan, email_domain, org_id,
//  payment, signup_ip, sessions, requests, tokens, reasoning, rewrites,
//  refusals, addresses, devices, api_keys, user_agents], each roll-up a list
// of [key, sessions] (app.detect.evidence reads them in this order).
MATCH (a:Account)
WITH a ORDER BY a.account_id
WITH collect(a) AS accounts
UNWIND range(0, size(accounts) - 1, $chunk) AS first
RETURN [a IN accounts[first..first + $chunk] | [
  a.account_id,
  a.created_at.epochSeconds,
  a.status,
  a.status_changed_at.epochSeconds,
  a.plan,
  a.email_domain,
  a.org_id,
  a.payment_fingerprint,
  a.signup_ip,
  coalesce(a.sessions, 0),
  coalesce(a.requests, 0),
  coalesce(a.input_tokens, 0) + coalesce(a.output_tokens, 0),
  coalesce(a.reasoning_sessions, 0),
  coalesce(a.rewrite_sessions, 0),
  coalesce(a.refusals, 0),
  [(a)-[u:USED_IP]->(ip:IP) | [ip.address, u.sessions]],
  [(a)-[u:USED_DEVICE]->(d:Device) | [d.fingerprint, u.sessions]],
  [(a)-[u:USED_KEY]->(k:ApiKey) | [k.api_key_id, u.sessions]],
  [(a)-[u:USED_AGENT]->(x:UserAgent) | [x.value, u.sessions]]
]] AS accounts;
