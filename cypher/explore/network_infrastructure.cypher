// What the members of a network share, per kind of entity, ranked by how
// many members use each (then by their sessions there).
MATCH (n:Network {network_id: $network_id, run_id: $run_id})
CALL (n) {
  MATCH (n)<-[:MEMBER_OF]-(a:Account)-[u:USED_IP]->(e:IP)
  WITH e, count(DISTINCT a) AS members, sum(u.sessions) AS sessions
  // Excluded: what only one member touches is not shared infrastructure.
  WHERE members >= 2
  RETURN 'address' AS kind, e.address AS key, e.network_type AS detail, members, sessions
  ORDER BY members DESC, sessions DESC
  LIMIT $limit
  UNION ALL
  MATCH (n)<-[:MEMBER_OF]-(a:Account)-[u:USED_IP]->(:IP)-[:IN_PREFIX]->(e:Prefix)
  WITH e, count(DISTINCT a) AS members, sum(u.sessions) AS sessions
  // Excluded: prefixes of a single member.
  WHERE members >= 2
  RETURN 'prefix' AS kind, e.cidr AS key, null AS detail, members, sessions
  ORDER BY members DESC, sessions DESC
  LIMIT $limit
  UNION ALL
  MATCH (n)<-[:MEMBER_OF]-(a:Account)-[u:USED_IP]->(:IP)-[:IN_ASN]->(e:ASN)
  WITH e, count(DISTINCT a) AS members, sum(u.sessions) AS sessions
  // Excluded: networks of a single member.
  WHERE members >= 2
  RETURN 'asn' AS kind, toString(e.asn) AS key, e.as_org AS detail, members, sessions
  ORDER BY members DESC, sessions DESC
  LIMIT $limit
  UNION ALL
  MATCH (n)<-[:MEMBER_OF]-(a:Account)-[u:USED_IP]->(ip:IP)
  // Excluded: addresses the intel feed names no proxy provider for.
  WHERE ip.proxy_provider IS NOT NULL
  WITH ip.proxy_provider AS provider, count(DISTINCT a) AS members, sum(u.sessions) AS sessions,
       count(DISTINCT ip) AS addresses
  RETURN 'proxy provider' AS kind, provider AS key, toString(addresses) + ' addresses' AS detail,
         members, sessions
  ORDER BY members DESC, sessions DESC
  LIMIT $limit
  UNION ALL
  MATCH (n)<-[:MEMBER_OF]-(a:Account)-[u:USED_DEVICE]->(e:Device)
  WITH e, count(DISTINCT a) AS members, sum(u.sessions) AS sessions
  // Excluded: devices of a single member.
  WHERE members >= 2
  RETURN 'device' AS kind, e.fingerprint AS key, null AS detail, members, sessions
  ORDER BY members DESC, sessions DESC
  LIMIT $limit
  UNION ALL
  MATCH (n)<-[:MEMBER_OF]-(a:Account)-[:PAID_WITH]->(e:Payment)
  WITH e, count(DISTINCT a) AS members
  // Excluded: payment tokens of a single member.
  WHERE members >= 2
  RETURN 'payment' AS kind, e.fingerprint AS key, null AS detail, members, null AS sessions
  ORDER BY members DESC
  LIMIT $limit
  UNION ALL
  MATCH (n)<-[:MEMBER_OF]-(a:Account)-[u:USED_KEY]->(e:ApiKey)
  WITH e, count(DISTINCT a) AS members, sum(u.sessions) AS sessions
  // Excluded: keys of a single member.
  WHERE members >= 2
  RETURN 'api key' AS kind, e.api_key_id AS key, null AS detail, members, sessions
  ORDER BY members DESC, sessions DESC
  LIMIT $limit
  UNION ALL
  MATCH (n)<-[:MEMBER_OF]-(a:Account)-[u:USED_AGENT]->(e:UserAgent)
  WITH e, count(DISTINCT a) AS members, sum(u.sessions) AS sessions
  // Excluded: agents of a single member.
  WHERE members >= 2
  RETURN 'user agent' AS kind, e.value AS key, null AS detail, members, sessions
  ORDER BY members DESC, sessions DESC
  LIMIT $limit
  UNION ALL
  MATCH (n)<-[:MEMBER_OF]-(a:Account)-[:HAS_SESSION]->(:Session)-[:USED_TEMPLATE]->(e:PromptTemplate)
  WITH e, count(DISTINCT a) AS members, count(*) AS sessions
  // Excluded: templates of a single member.
  WHERE members >= 2
  RETURN 'template' AS kind, e.fingerprint AS key, null AS detail, members, sessions
  ORDER BY members DESC, sessions DESC
  LIMIT $limit
}
RETURN kind, key, detail, members, sessions;
