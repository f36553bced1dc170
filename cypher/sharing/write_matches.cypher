// Link indicators to the entities of our graph they match, each kind's rows in
// its own list ($ip, $prefix, $asn, $user_agent, $email_domain, $device, $payment,
// $template): an address, prefix, autonomous system, user agent, e-mail domain,
// device, payment token or prompt template, found by its key. The indicators'
// matches were cleared just before (sharing/clear_matches), so each link is new.
CALL () {
  UNWIND $ip AS row
  MATCH (e:IP {address: row.key})
  MATCH (i:PartnerIndicator {indicator_id: row.indicator_id})
  CREATE (i)-[m:MATCHES]->(e)
  SET m.how = row.how, m.distance = row.distance
  RETURN count(m) AS matched
  UNION ALL
  UNWIND $prefix AS row
  MATCH (e:Prefix {cidr: row.key})
  MATCH (i:PartnerIndicator {indicator_id: row.indicator_id})
  CREATE (i)-[m:MATCHES]->(e)
  SET m.how = row.how, m.distance = row.distance
  RETURN count(m) AS matched
  UNION ALL
  UNWIND $asn AS row
  MATCH (e:ASN {asn: toInteger(row.key)})
  MATCH (i:PartnerIndicator {indicator_id: row.indicator_id})
  CREATE (i)-[m:MATCHES]->(e)
  SET m.how = row.how, m.distance = row.distance
  RETURN count(m) AS matched
  UNION ALL
  UNWIND $user_agent AS row
  MATCH (e:UserAgent {value: row.key})
  MATCH (i:PartnerIndicator {indicator_id: row.indicator_id})
  CREATE (i)-[m:MATCHES]->(e)
  SET m.how = row.how, m.distance = row.distance
  RETURN count(m) AS matched
  UNION ALL
  UNWIND $email_domain AS row
  MATCH (e:EmailDomain {name: row.key})
  MATCH (i:PartnerIndicator {indicator_id: row.indicator_id})
  CREATE (i)-[m:MATCHES]->(e)
  SET m.how = row.how, m.distance = row.distance
  RETURN count(m) AS matched
  UNION ALL
  UNWIND $device AS row
  MATCH (e:Device {fingerprint: row.key})
  MATCH (i:PartnerIndicator {indicator_id: row.indicator_id})
  CREATE (i)-[m:MATCHES]->(e)
  SET m.how = row.how, m.distance = row.distance
  RETURN count(m) AS matched
  UNION ALL
  UNWIND $payment AS row
  MATCH (e:Payment {fingerprint: row.key})
  MATCH (i:PartnerIndicator {indicator_id: row.indicator_id})
  CREATE (i)-[m:MATCHES]->(e)
  SET m.how = row.how, m.distance = row.distance
  RETURN count(m) AS matched
  UNION ALL
  UNWIND $template AS row
  MATCH (e:PromptTemplate {fingerprint: row.key})
  MATCH (i:PartnerIndicator {indicator_id: row.indicator_id})
  CREATE (i)-[m:MATCHES]->(e)
  SET m.how = row.how, m.distance = row.distance
  RETURN count(m) AS matched
}
RETURN sum(matched) AS matched;
