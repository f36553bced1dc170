// The accounts named in $ids that use an entity another provider reported (as
// detect/reported reads every account).
UNWIND $ids AS id
MATCH (a:Account {account_id: id})
WHERE EXISTS {
  MATCH (a)-[:USED_IP|SIGNED_UP_FROM|USED_DEVICE|PAID_WITH|EMAIL_AT]->()<-[:MATCHES]-(i:PartnerIndicator)
  // A withdrawn report says nothing.
  WHERE NOT i.revoked
} OR EXISTS {
  MATCH (a)-[:HAS_SESSION]->(:Session)-[:USED_TEMPLATE]->(:PromptTemplate)<-[:MATCHES]-(i:PartnerIndicator)
  // A withdrawn report says nothing.
  WHERE NOT i.revoked
}
RETURN a.account_id AS account_id;
