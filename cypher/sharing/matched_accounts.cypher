// Our accounts on the entities the given indicators matched (at most 50 an
// entity: the alert names at most 500), for the alert an import raises.
UNWIND $ids AS id
MATCH (i:PartnerIndicator {indicator_id: id})-[:MATCHES]->(e)
CALL (e) {
  MATCH (e)<-[:USED_IP|SIGNED_UP_FROM|USED_DEVICE|PAID_WITH|USED_AGENT|EMAIL_AT]-(a:Account)
  RETURN a
  LIMIT 50
  UNION
  MATCH (e)<-[:IN_PREFIX|IN_ASN]-(:IP)<-[:USED_IP]-(a:Account)
  RETURN a
  LIMIT 50
  UNION
  MATCH (e:PromptTemplate)<-[:USED_TEMPLATE]-(:Session)<-[:HAS_SESSION]-(a:Account)
  RETURN a
  LIMIT 50
}
WITH i, collect(DISTINCT a.account_id) AS accounts
RETURN i.indicator_id AS indicator_id, i.kind AS kind, i.value AS value, i.hashed AS hashed,
       i.source AS source, i.confidence AS confidence, i.valid_from AS valid_from, accounts
LIMIT 100000;
