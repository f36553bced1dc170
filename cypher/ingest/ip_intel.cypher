// Upsert a batch of IP-intelligence rows: newer intel replaces older.
UNWIND $rows AS row
OPTIONAL MATCH (known:IP {address: row.ip})
WITH row, known IS NULL AS created
MERGE (ip:IP {address: row.ip})
SET
  ip.version = row.version,
  ip.network_type = row.network_type,
  ip.country = coalesce(row.country, ip.country),
  ip.asn = coalesce(row.asn, ip.asn),
  ip.as_org = coalesce(row.as_org, ip.as_org),
  ip.proxy_provider = coalesce(row.proxy_provider, ip.proxy_provider),
  ip.in_intel_feed = true
MERGE (px:Prefix {cidr: row.prefix})
MERGE (ip)-[:IN_PREFIX]->(px)
WITH ip, row, created
CALL (ip, row) {
  // Excluded: the address's link to an AS the newer intel no longer names.
  OPTIONAL MATCH (ip)-[old:IN_ASN]->(other:ASN)
  WHERE row.asn IS NOT NULL AND other.asn <> row.asn
  DELETE old
}
FOREACH (number IN CASE WHEN row.asn IS NULL THEN [] ELSE [row.asn] END |
  MERGE (n:ASN {asn: number})
  SET n.as_org = coalesce(row.as_org, n.as_org)
  MERGE (ip)-[:IN_ASN]->(n))
RETURN sum(CASE WHEN created THEN 1 ELSE 0 END) AS created;
