// For each entity of kind $kind named in $keys: how many accounts use it in
// the whole graph and, when $with_users and that is at most $most, which
// ones. Links are counted first (a degree, cheap): an entity with more links
// than $links_cap (a carrier NAT, a popular prompt's sessions) is not
// expanded and reports its links as its users; one with a single link (most
// prompts) is not expanded either.
UNWIND $keys AS key
CALL (key) {
  MATCH (e:IP {address: key})
  // Excluded: every branch but the one of the asked kind.
  WHERE $kind = 'ip'
  RETURN COUNT { (e)<-[:USED_IP|SIGNED_UP_FROM]-(:Account) } AS links,
         COLLECT { MATCH (e)<-[:USED_IP|SIGNED_UP_FROM]-(b:Account)
                   WHERE 1 < COUNT { (e)<-[:USED_IP|SIGNED_UP_FROM]-(:Account) } <= $links_cap
                   RETURN DISTINCT b.account_id } AS users
  UNION ALL
  MATCH (e:Prefix {cidr: key})
  // Excluded: other kinds.
  WHERE $kind = 'prefix'
  WITH e, COUNT { (e)<-[:IN_PREFIX]-(:IP)<-[:USED_IP]-(:Account) } AS links
  RETURN links,
         COLLECT { MATCH (e)<-[:IN_PREFIX]-(:IP)<-[:USED_IP]-(b:Account)
                   WHERE 1 < links <= $links_cap
                   RETURN DISTINCT b.account_id } AS users
  UNION ALL
  MATCH (e:Device {fingerprint: key})
  // Excluded: other kinds.
  WHERE $kind = 'device'
  RETURN COUNT { (e)<-[:USED_DEVICE]-(:Account) } AS links,
         COLLECT { MATCH (e)<-[:USED_DEVICE]-(b:Account)
                   WHERE 1 < COUNT { (e)<-[:USED_DEVICE]-(:Account) } <= $links_cap
                   RETURN b.account_id } AS users
  UNION ALL
  MATCH (e:Payment {fingerprint: key})
  // Excluded: other kinds.
  WHERE $kind = 'payment'
  RETURN COUNT { (e)<-[:PAID_WITH]-(:Account) } AS links,
         COLLECT { MATCH (e)<-[:PAID_WITH]-(b:Account)
                   WHERE 1 < COUNT { (e)<-[:PAID_WITH]-(:Account) } <= $links_cap
                   RETURN b.account_id } AS users
  UNION ALL
  MATCH (e:ApiKey {api_key_id: key})
  // Excluded: other kinds.
  WHERE $kind = 'api_key'
  RETURN COUNT { (e)<-[:USED_KEY]-(:Account) } AS links,
         COLLECT { MATCH (e)<-[:USED_KEY]-(b:Account)
                   WHERE 1 < COUNT { (e)<-[:USED_KEY]-(:Account) } <= $links_cap
                   RETURN b.account_id } AS users
  UNION ALL
  MATCH (e:UserAgent {value: key})
  // Excluded: other kinds.
  WHERE $kind = 'user_agent'
  RETURN COUNT { (e)<-[:USED_AGENT]-(:Account) } AS links,
         COLLECT { MATCH (e)<-[:USED_AGENT]-(b:Account)
                   WHERE 1 < COUNT { (e)<-[:USED_AGENT]-(:Account) } <= $links_cap
                   RETURN b.account_id } AS users
  UNION ALL
  MATCH (e:Org {org_id: key})
  // Excluded: other kinds.
  WHERE $kind = 'org'
  RETURN COUNT { (e)<-[:IN_ORG]-(:Account) } AS links,
         COLLECT { MATCH (e)<-[:IN_ORG]-(b:Account)
                   WHERE 1 < COUNT { (e)<-[:IN_ORG]-(:Account) } <= $links_cap
                   RETURN b.account_id } AS users
  UNION ALL
  MATCH (e:EmailDomain {name: key})
  // Excluded: other kinds.
  WHERE $kind = 'email_domain'
  RETURN COUNT { (e)<-[:EMAIL_AT]-(:Account) } AS links,
         COLLECT { MATCH (e)<-[:EMAIL_AT]-(b:Account)
                   WHERE 1 < COUNT { (e)<-[:EMAIL_AT]-(:Account) } <= $links_cap
                   RETURN b.account_id } AS users
  UNION ALL
  MATCH (e:PromptTemplate {fingerprint: key})
  // Excluded: other kinds.
  WHERE $kind = 'template'
  WITH e, COUNT { (e)<-[:USED_TEMPLATE]-(:Session) } AS links
  RETURN links,
         COLLECT { MATCH (e)<-[:USED_TEMPLATE]-(:Session)<-[:HAS_SESSION]-(b:Account)
                   WHERE 1 < links <= $links_cap
                   RETURN DISTINCT b.account_id } AS users
}
WITH key, links, users
RETURN key,
       CASE WHEN 1 < links <= $links_cap THEN size(users) ELSE links END AS accounts,
       CASE WHEN $with_users AND links <= $links_cap AND size(users) <= $most
            THEN users ELSE [] END AS users;
