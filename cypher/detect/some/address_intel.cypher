// The intel on every address the accounts named in $ids used, as
// detect/address_intel reads it for every account.
UNWIND $ids AS id
MATCH (:Account {account_id: id})-[:USED_IP]->(ip:IP)
WITH DISTINCT ip
WITH collect([ip.address, coalesce(ip.network_type, 'unknown'),
              coalesce(ip.in_intel_feed, false), ip.proxy_provider, ip.asn,
              ip.as_org]) AS known
UNWIND range(0, size(known) - 1, $chunk) AS first
RETURN known[first..first + $chunk] AS addresses;
