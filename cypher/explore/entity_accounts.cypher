// The accounts that use an entity (directly, through its addresses, or
// through sessions for templates): a sorted page of them with their network
// in the given run, their total, and the networks of that run they fall in.
CALL () {
  MATCH (:IP {address: $key})<-[u:USED_IP|SIGNED_UP_FROM]-(a:Account)
  // Excluded: every branch but the one of the asked kind.
  WHERE $kind = 'address'
  RETURN a, sum(coalesce(u.sessions, 0)) AS sessions, max(u.last_seen) AS last_seen
  UNION ALL
  MATCH (:Prefix {cidr: $key})<-[:IN_PREFIX]-(:IP)<-[u:USED_IP]-(a:Account)
  // Excluded: other kinds.
  WHERE $kind = 'prefix'
  RETURN a, sum(u.sessions) AS sessions, max(u.last_seen) AS last_seen
  UNION ALL
  MATCH (:ASN {asn: $asn})<-[:IN_ASN]-(:IP)<-[u:USED_IP]-(a:Account)
  // Excluded: other kinds.
  WHERE $kind = 'asn'
  RETURN a, sum(u.sessions) AS sessions, max(u.last_seen) AS last_seen
  UNION ALL
  MATCH (:Device {fingerprint: $key})<-[u:USED_DEVICE]-(a:Account)
  // Excluded: other kinds.
  WHERE $kind = 'device'
  RETURN a, u.sessions AS sessions, u.last_seen AS last_seen
  UNION ALL
  MATCH (:Payment {fingerprint: $key})<-[:PAID_WITH]-(a:Account)
  // Excluded: other kinds.
  WHERE $kind = 'payment'
  RETURN a, a.sessions AS sessions, a.last_seen AS last_seen
  UNION ALL
  MATCH (:ApiKey {api_key_id: $key})<-[u:USED_KEY]-(a:Account)
  // Excluded: other kinds.
  WHERE $kind = 'api key'
  RETURN a, u.sessions AS sessions, u.last_seen AS last_seen
  UNION ALL
  MATCH (:UserAgent {value: $key})<-[u:USED_AGENT]-(a:Account)
  // Excluded: other kinds.
  WHERE $kind = 'user agent'
  RETURN a, u.sessions AS sessions, u.last_seen AS last_seen
  UNION ALL
  MATCH (:PromptTemplate {fingerprint: $key})<-[:USED_TEMPLATE]-(s:Session)<-[:HAS_SESSION]-(a:Account)
  // Excluded: other kinds.
  WHERE $kind = 'template'
  RETURN a, count(s) AS sessions, max(s.started_at) AS last_seen
  UNION ALL
  MATCH (:EmailDomain {name: $key})<-[:EMAIL_AT]-(a:Account)
  // Excluded: other kinds.
  WHERE $kind = 'email domain'
  RETURN a, a.sessions AS sessions, a.last_seen AS last_seen
  UNION ALL
  MATCH (:Org {org_id: $key})<-[:IN_ORG]-(a:Account)
  // Excluded: other kinds.
  WHERE $kind = 'org'
  RETURN a, a.sessions AS sessions, a.last_seen AS last_seen
}
WITH a, sessions, last_seen
ORDER BY sessions DESC, a.account_id
WITH collect({a: a, sessions: sessions, last_seen: last_seen}) AS found
OPTIONAL MATCH (r:DetectionRun {run_id: $run_id})
WITH found, coalesce(r.chain, [r.run_id], []) AS chain
CALL (found, chain) {
  UNWIND found AS row
  WITH row.a AS a
  MATCH (a)-[m:MEMBER_OF]->(n:Network)
  // Excluded: other runs, and snapshots a later run of the chain replaced.
  WHERE m.run_id IN chain AND NOT coalesce(n.replaced_by, '') IN chain
  WITH n, count(*) AS accounts
  RETURN collect({network_id: n.network_id, status: n.status, score: n.score, size: n.size,
                  accounts: accounts})[..20] AS networks
}
CALL (found, chain) {
  UNWIND found[$skip..$skip + $limit] AS row
  WITH row.a AS a, row.sessions AS sessions, row.last_seen AS last_seen
  OPTIONAL CALL (a, chain) {
    MATCH (a)-[m:MEMBER_OF]->(n:Network)
    // Excluded: other runs, and snapshots a later run of the chain replaced.
    WHERE m.run_id IN chain AND NOT coalesce(n.replaced_by, '') IN chain
    RETURN m, n
    LIMIT 1
  }
  RETURN collect({account_id: a.account_id, status: a.status, created_at: toString(a.created_at),
                  country: a.country, sessions: sessions, last_seen: toString(last_seen),
                  network_id: n.network_id, network_status: n.status, score: m.score,
                  flagged: m.flagged}) AS accounts
}
RETURN size(found) AS total, accounts, networks;
