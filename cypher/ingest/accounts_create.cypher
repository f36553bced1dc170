// Create a batch of accounts that are not in the graph yet, with what they
// link to (e-mail domain, payment token, org, sign-up address). The shared
// entities are merged; the links are new with their account, so they are
// created without the existence check a MERGE makes (the loader reads which
// accounts exist just before, and one writer writes accounts).
UNWIND $rows AS row
CREATE (a:Account {account_id: row.account_id})
SET
  a.created_at = row.created_at,
  a.email_domain = row.email_domain,
  a.signup_ip = row.signup_ip,
  a.country = row.country,
  a.payment_fingerprint = row.payment_fingerprint,
  a.org_id = row.org_id,
  a.plan = row.plan,
  a.status = coalesce(row.status, 'active'),
  a.status_changed_at = row.status_changed_at,
  a.sessions = 0,
  a.requests = 0,
  a.input_tokens = 0,
  a.output_tokens = 0,
  a.reasoning_sessions = 0,
  a.rewrite_sessions = 0,
  a.refusals = 0,
  a.last_load = $load_id,
  a.loaded_at = $loaded_at
WITH a, row
CALL (a, row) {
  WITH a, row WHERE row.email_domain IS NOT NULL
  MERGE (d:EmailDomain {name: row.email_domain})
  CREATE (a)-[:EMAIL_AT]->(d)
}
CALL (a, row) {
  WITH a, row WHERE row.payment_fingerprint IS NOT NULL
  MERGE (p:Payment {fingerprint: row.payment_fingerprint})
  CREATE (a)-[:PAID_WITH]->(p)
}
CALL (a, row) {
  WITH a, row WHERE row.org_id IS NOT NULL
  MERGE (o:Org {org_id: row.org_id})
  CREATE (a)-[:IN_ORG]->(o)
}
CALL (a, row) {
  WITH a, row WHERE row.signup_ip IS NOT NULL
  MERGE (ip:IP {address: row.signup_ip})
  ON CREATE SET ip.network_type = 'unknown', ip.version = row.signup_ip_version
  MERGE (px:Prefix {cidr: row.signup_prefix})
  MERGE (ip)-[:IN_PREFIX]->(px)
  CREATE (a)-[:SIGNED_UP_FROM]->(ip)
}
RETURN count(a) AS created;
