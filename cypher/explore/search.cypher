// Entities whose key starts with what was typed (each through its key's
// index), plus exact hits on an address's prefix and an ASN number.
// Masked kinds (payment tokens, e-mail domains of fewer than $min_accounts
// accounts) match only whole values: prefixes of them would let anyone spell
// a hidden value out one character at a time.
CALL () {
  MATCH (a:Account)
  WHERE a.account_id STARTS WITH $q
  RETURN 'account' AS kind, a.account_id AS key, a.status AS detail, null AS accounts
  LIMIT $limit
  UNION ALL
  MATCH (e:IP)
  WHERE e.address STARTS WITH $q
  RETURN 'address' AS kind, e.address AS key, e.network_type AS detail, null AS accounts
  LIMIT $limit
  UNION ALL
  MATCH (e:Prefix)
  WHERE e.cidr STARTS WITH $q OR e.cidr = $prefix
  RETURN 'prefix' AS kind, e.cidr AS key, null AS detail, null AS accounts
  LIMIT $limit
  UNION ALL
  MATCH (e:ASN)
  WHERE e.asn = $asn
  RETURN 'asn' AS kind, toString(e.asn) AS key, e.as_org AS detail, null AS accounts
  LIMIT $limit
  UNION ALL
  MATCH (e:Device)
  WHERE e.fingerprint STARTS WITH $q
  RETURN 'device' AS kind, e.fingerprint AS key, null AS detail, null AS accounts
  LIMIT $limit
  UNION ALL
  MATCH (e:Payment {fingerprint: $q})
  RETURN 'payment' AS kind, e.fingerprint AS key, null AS detail, null AS accounts
  LIMIT $limit
  UNION ALL
  MATCH (e:ApiKey)
  WHERE e.api_key_id STARTS WITH $q
  RETURN 'api key' AS kind, e.api_key_id AS key, null AS detail, null AS accounts
  LIMIT $limit
  UNION ALL
  MATCH (e:PromptTemplate)
  WHERE e.fingerprint STARTS WITH $q
  RETURN 'template' AS kind, e.fingerprint AS key, null AS detail, null AS accounts
  LIMIT $limit
  UNION ALL
  MATCH (e:EmailDomain)
  WHERE e.name STARTS WITH $q_lower
  WITH e, COUNT { (e)<-[:EMAIL_AT]-(:Account) } AS accounts
  // Excluded: personal domains, unless typed in full.
  WHERE accounts >= $min_accounts OR e.name = $q_lower
  RETURN 'email domain' AS kind, e.name AS key, null AS detail, accounts
  LIMIT $limit
  UNION ALL
  MATCH (e:Org)
  WHERE e.org_id STARTS WITH $q
  RETURN 'org' AS kind, e.org_id AS key, e.name AS detail, null AS accounts
  LIMIT $limit
}
RETURN kind, key, detail, accounts
LIMIT 200;
