// Partners' live reports about what the given accounts use: addresses (and their
// prefixes and autonomous systems), devices, payment tokens, user agents, e-mail
// domains; with the entity and how many of the accounts use it.
UNWIND $account_ids AS id
MATCH (a:Account {account_id: id})
CALL (a) {
  MATCH (a)-[:USED_IP|SIGNED_UP_FROM|USED_DEVICE|PAID_WITH|USED_AGENT|EMAIL_AT]->(e)<-[m:MATCHES]-(i:PartnerIndicator)
  RETURN e, m, i
  UNION
  MATCH (a)-[:USED_IP]->(:IP)-[:IN_PREFIX|IN_ASN]->(e)<-[m:MATCHES]-(i:PartnerIndicator)
  RETURN e, m, i
}
WITH i, m, e, count(DISTINCT a) AS accounts
RETURN i.source AS source, i.confidence AS confidence, i.valid_from AS valid_from,
       i.network AS network, i.kind AS kind, m.how AS how, m.distance AS distance,
       coalesce(e.address, e.cidr, toString(e.asn), e.value, e.name, e.fingerprint) AS key,
       accounts, i.indicator_id AS indicator_id
ORDER BY accounts DESC, confidence DESC, source
LIMIT 200;
