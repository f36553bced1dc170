// Upsert a batch of accounts and what they link to (e-mail domain, payment
// token, org, sign-up address). A later export updates what changed; a
// value missing from the later export keeps the earlier one. Each written
// account is marked with this load (`last_load`, `loaded_at`).
UNWIND $rows AS row
OPTIONAL MATCH (known:Account {account_id: row.account_id})
WITH row, known IS NULL AS created
MERGE (a:Account {account_id: row.account_id})
ON CREATE SET
  a.sessions = 0,
  a.requests = 0,
  a.input_tokens = 0,
  a.output_tokens = 0,
  a.reasoning_sessions = 0,
  a.rewrite_sessions = 0,
  a.refusals = 0
SET
  a.created_at = row.created_at,
  a.email_domain = coalesce(row.email_domain, a.email_domain),
  a.signup_ip = coalesce(row.signup_ip, a.signup_ip),
  a.country = coalesce(row.country, a.country),
  a.payment_fingerprint = coalesce(row.payment_fingerprint, a.payment_fingerprint),
  a.org_id = coalesce(row.org_id, a.org_id),
  a.plan = coalesce(row.plan, a.plan),
  a.status = coalesce(row.status, a.status, 'active'),
  a.status_changed_at = coalesce(row.status_changed_at, a.status_changed_at),
  a.last_load = $load_id,
  a.loaded_at = $loaded_at
FOREACH (name IN CASE WHEN row.email_domain IS NULL THEN [] ELSE [row.email_domain] END |
  MERGE (d:EmailDomain {name: name})
  MERGE (a)-[:EMAIL_AT]->(d))
FOREACH (token IN CASE WHEN row.payment_fingerprint IS NULL THEN [] ELSE [row.payment_fingerprint] END |
  MERGE (p:Payment {fingerprint: token})
  MERGE (a)-[:PAID_WITH]->(p))
FOREACH (org IN CASE WHEN row.org_id IS NULL THEN [] ELSE [row.org_id] END |
  MERGE (o:Org {org_id: org})
  MERGE (a)-[:IN_ORG]->(o))
FOREACH (address IN CASE WHEN row.signup_ip IS NULL THEN [] ELSE [row.signup_ip] END |
  MERGE (ip:IP {address: address})
  ON CREATE SET ip.network_type = 'unknown', ip.version = row.signup_ip_version
  MERGE (px:Prefix {cidr: row.signup_prefix})
  MERGE (ip)-[:IN_PREFIX]->(px)
  MERGE (a)-[:SIGNED_UP_FROM]->(ip))
RETURN sum(CASE WHEN created THEN 1 ELSE 0 END) AS created;
