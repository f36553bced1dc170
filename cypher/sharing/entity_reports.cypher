// Partners' live reports about one entity of our graph.
CALL () {
  MATCH (i:PartnerIndicator)-[m:MATCHES]->(:IP {address: $key})
  // Excluded: every branch but the one of the asked kind.
  WHERE $kind = 'ip'
  RETURN i, m
  UNION
  MATCH (i:PartnerIndicator)-[m:MATCHES]->(:Prefix {cidr: $key})
  // Excluded: other kinds.
  WHERE $kind = 'prefix'
  RETURN i, m
  UNION
  MATCH (i:PartnerIndicator)-[m:MATCHES]->(e:ASN)
  // Excluded: other kinds; the key comes as text.
  WHERE $kind = 'asn' AND toString(e.asn) = $key
  RETURN i, m
  UNION
  MATCH (i:PartnerIndicator)-[m:MATCHES]->(:UserAgent {value: $key})
  // Excluded: other kinds.
  WHERE $kind = 'user_agent'
  RETURN i, m
  UNION
  MATCH (i:PartnerIndicator)-[m:MATCHES]->(:EmailDomain {name: $key})
  // Excluded: other kinds.
  WHERE $kind = 'email_domain'
  RETURN i, m
  UNION
  MATCH (i:PartnerIndicator)-[m:MATCHES]->(:Device {fingerprint: $key})
  // Excluded: other kinds.
  WHERE $kind = 'device'
  RETURN i, m
  UNION
  MATCH (i:PartnerIndicator)-[m:MATCHES]->(:Payment {fingerprint: $key})
  // Excluded: other kinds.
  WHERE $kind = 'payment'
  RETURN i, m
  UNION
  MATCH (i:PartnerIndicator)-[m:MATCHES]->(:PromptTemplate {fingerprint: $key})
  // Excluded: other kinds.
  WHERE $kind = 'template'
  RETURN i, m
}
RETURN i.source AS source, i.confidence AS confidence, i.valid_from AS valid_from,
       i.network AS network, i.kind AS kind, m.how AS how, m.distance AS distance,
       i.indicator_id AS indicator_id
ORDER BY confidence DESC, source
LIMIT 100;
