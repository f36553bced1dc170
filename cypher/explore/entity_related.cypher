// The entities an address, prefix or autonomous system contains or sits in,
// with how many accounts use each.
CALL () {
  MATCH (:Prefix {cidr: $key})<-[:IN_PREFIX]-(ip:IP)
  // Excluded: every branch but the one of the asked kind.
  WHERE $kind = 'prefix'
  RETURN 'address' AS kind, ip.address AS key, ip.network_type AS detail,
         COUNT { (ip)<-[:USED_IP]-(:Account) } AS accounts
  ORDER BY accounts DESC, key
  LIMIT $limit
  UNION ALL
  MATCH (:ASN {asn: $asn})<-[:IN_ASN]-(ip:IP)
  // Excluded: other kinds.
  WHERE $kind = 'asn'
  RETURN 'address' AS kind, ip.address AS key, ip.network_type AS detail,
         COUNT { (ip)<-[:USED_IP]-(:Account) } AS accounts
  ORDER BY accounts DESC, key
  LIMIT $limit
  UNION ALL
  MATCH (:Prefix {cidr: $key})<-[:IN_PREFIX]-(:IP)-[:IN_ASN]->(asn:ASN)
  // Excluded: other kinds.
  WHERE $kind = 'prefix'
  RETURN DISTINCT 'asn' AS kind, toString(asn.asn) AS key, asn.as_org AS detail, null AS accounts
  LIMIT $limit
}
RETURN kind, key, detail, accounts;
