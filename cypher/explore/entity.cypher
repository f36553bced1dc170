// One entity by kind and key. Each branch runs only for its kind and uses
// that label's key constraint.
CALL () {
  MATCH (e:IP {address: $key})
  // Excluded: every branch but the one of the asked kind.
  WHERE $kind = 'address'
  OPTIONAL MATCH (e)-[:IN_ASN]->(asn:ASN)
  OPTIONAL MATCH (e)-[:IN_PREFIX]->(px:Prefix)
  RETURN e, asn.asn AS asn, asn.as_org AS as_org, px.cidr AS prefix
  UNION
  MATCH (e:Prefix {cidr: $key})
  // Excluded: other kinds.
  WHERE $kind = 'prefix'
  RETURN e, null AS asn, null AS as_org, null AS prefix
  UNION
  MATCH (e:ASN {asn: $asn})
  // Excluded: other kinds.
  WHERE $kind = 'asn'
  RETURN e, e.asn AS asn, e.as_org AS as_org, null AS prefix
  UNION
  MATCH (e:Device {fingerprint: $key})
  // Excluded: other kinds.
  WHERE $kind = 'device'
  RETURN e, null AS asn, null AS as_org, null AS prefix
  UNION
  MATCH (e:Payment {fingerprint: $key})
  // Excluded: other kinds.
  WHERE $kind = 'payment'
  RETURN e, null AS asn, null AS as_org, null AS prefix
  UNION
  MATCH (e:ApiKey {api_key_id: $key})
  // Excluded: other kinds.
  WHERE $kind = 'api key'
  RETURN e, null AS asn, null AS as_org, null AS prefix
  UNION
  MATCH (e:UserAgent {value: $key})
  // Excluded: other kinds.
  WHERE $kind = 'user agent'
  RETURN e, null AS asn, null AS as_org, null AS prefix
  UNION
  MATCH (e:PromptTemplate {fingerprint: $key})
  // Excluded: other kinds.
  WHERE $kind = 'template'
  RETURN e, null AS asn, null AS as_org, null AS prefix
  UNION
  MATCH (e:EmailDomain {name: $key})
  // Excluded: other kinds.
  WHERE $kind = 'email domain'
  RETURN e, null AS asn, null AS as_org, null AS prefix
  UNION
  MATCH (e:Org {org_id: $key})
  // Excluded: other kinds.
  WHERE $kind = 'org'
  RETURN e, null AS asn, null AS as_org, null AS prefix
}
RETURN e {.*} AS entity, asn, as_org, prefix
LIMIT 1;
