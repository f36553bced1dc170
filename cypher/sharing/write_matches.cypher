// Link indicators to the entities of our graph they match: an address, prefix,
// autonomous system, user agent, e-mail domain, device, payment token or prompt
// template, found by its key.
UNWIND $rows AS row
MATCH (i:PartnerIndicator {indicator_id: row.indicator_id})
CALL (row) {
  MATCH (e:IP {address: row.key})
  // Excluded: every branch but the one of the row's kind.
  WHERE row.kind = 'ip'
  RETURN e
  UNION
  MATCH (e:Prefix {cidr: row.key})
  // Excluded: other kinds.
  WHERE row.kind = 'prefix'
  RETURN e
  UNION
  MATCH (e:ASN {asn: toInteger(row.key)})
  // Excluded: other kinds.
  WHERE row.kind = 'asn'
  RETURN e
  UNION
  MATCH (e:UserAgent {value: row.key})
  // Excluded: other kinds.
  WHERE row.kind = 'user_agent'
  RETURN e
  UNION
  MATCH (e:EmailDomain {name: row.key})
  // Excluded: other kinds.
  WHERE row.kind = 'email_domain'
  RETURN e
  UNION
  MATCH (e:Device {fingerprint: row.key})
  // Excluded: other kinds.
  WHERE row.kind = 'device'
  RETURN e
  UNION
  MATCH (e:Payment {fingerprint: row.key})
  // Excluded: other kinds.
  WHERE row.kind = 'payment'
  RETURN e
  UNION
  MATCH (e:PromptTemplate {fingerprint: row.key})
  // Excluded: other kinds.
  WHERE row.kind = 'template'
  RETURN e
}
MERGE (i)-[m:MATCHES]->(e)
SET m.how = row.how, m.distance = row.distance
RETURN count(m) AS matched;
