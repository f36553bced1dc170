// Accounts that use an address, device, payment token, e-mail domain or prompt
// template another provider reported (a live partner indicator matched it).
MATCH (i:PartnerIndicator)-[:MATCHES]->(e)
// A withdrawn report says nothing.
WHERE NOT i.revoked
CALL (e) {
  MATCH (e)<-[:USED_IP|SIGNED_UP_FROM|USED_DEVICE|PAID_WITH|EMAIL_AT]-(a:Account)
  RETURN a
  UNION
  MATCH (e:PromptTemplate)<-[:USED_TEMPLATE]-(:Session)<-[:HAS_SESSION]-(a:Account)
  RETURN a
}
RETURN DISTINCT a.account_id AS account_id;
