// Entities whose key starts with what was typed (each through its key's
// index), plus exact hits on an address's prefix and an ASN number.
CALL () {
  MATCH (a:Account)
  WHERE a.account_id STARTS WITH $q
  RETURN 'account' AS kind, a.account_id AS key, a.status AS detail
  LIMIT $limit
  UNION ALL
  MATCH (e:IP)
  WHERE e.address STARTS WITH $q
  RETURN 'address' AS kind, e.address AS key, e.network_type AS detail
  LIMIT $limit
  UNION ALL
  MATCH (e:Prefix)
  WHERE e.cidr STARTS WITH $q OR e.cidr = $prefix
  RETURN 'prefix' AS kind, e.cidr AS key, null AS detail
  LIMIT $limit
  UNION ALL
  MATCH (e:ASN)
  WHERE e.asn = $asn
  RETURN 'asn' AS kind, toString(e.asn) AS key, e.as_org AS detail
  LIMIT $limit
  UNION ALL
  MATCH (e:Device)
  WHERE e.fingerprint STARTS WITH $q
  RETURN 'device' AS kind, e.fingerprint AS key, null AS detail
  LIMIT $limit
  UNION ALL
  MATCH (e:Payment)
  WHERE e.fingerprint STARTS WITH $q
  RETURN 'payment' AS kind, e.fingerprint AS key, null AS detail
  LIMIT $limit
  UNION ALL
  MATCH (e:ApiKey)
  WHERE e.api_key_id STARTS WITH $q
  RETURN 'api key' AS kind, e.api_key_id AS key, null AS detail
  LIMIT $limit
  UNION ALL
  MATCH (e:PromptTemplate)
  WHERE e.fingerprint STARTS WITH $q
  RETURN 'template' AS kind, e.fingerprint AS key, null AS detail
  LIMIT $limit
  UNION ALL
  MATCH (e:EmailDomain)
  WHERE e.name STARTS WITH $q_lower
  RETURN 'email domain' AS kind, e.name AS key, null AS detail
  LIMIT $limit
  UNION ALL
  MATCH (e:Org)
  WHERE e.org_id STARTS WITH $q
  RETURN 'org' AS kind, e.org_id AS key, e.name AS detail
  LIMIT $limit
}
RETURN kind, key, detail
LIMIT 200;
