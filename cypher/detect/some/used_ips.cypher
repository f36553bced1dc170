// Address roll-ups of the accounts named in $ids, with the intel on each address.
UNWIND $ids AS id
MATCH (a:Account {account_id: id})-[u:USED_IP]->(ip:IP)
RETURN
  a.account_id AS account_id,
  ip.address AS address,
  u.sessions AS sessions,
  coalesce(ip.network_type, 'unknown') AS network_type,
  coalesce(ip.in_intel_feed, false) AS known,
  ip.proxy_provider AS proxy_provider,
  ip.asn AS asn,
  ip.as_org AS as_org;
