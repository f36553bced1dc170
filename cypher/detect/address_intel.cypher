// The intel on every address an account used, in rows of $chunk addresses,
// each [address, network_type, known, proxy_provider, asn, as_org].
MATCH (ip:IP)
WHERE EXISTS { (ip)<-[:USED_IP]-(:Account) }
WITH collect([ip.address, coalesce(ip.network_type, 'unknown'),
              coalesce(ip.in_intel_feed, false), ip.proxy_provider, ip.asn,
              ip.as_org]) AS known
UNWIND range(0, size(known) - 1, $chunk) AS first
RETURN known[first..first + $chunk] AS addresses;
