// What an account touches: addresses, devices, keys and agents (with session
// counts and how many other accounts share each), payment, org and domain.
MATCH (a:Account {account_id: $account_id})-[u:USED_IP|USED_DEVICE|USED_KEY|USED_AGENT|PAID_WITH|IN_ORG|EMAIL_AT|SIGNED_UP_FROM]->(e)
RETURN type(u) AS kind,
       coalesce(e.address, e.fingerprint, e.api_key_id, e.value, e.org_id, e.name) AS key,
       u.sessions AS sessions, toString(u.last_seen) AS last_seen,
       e.network_type AS network_type,
       size(COLLECT {
         MATCH (e)<-[:USED_IP|USED_DEVICE|USED_KEY|USED_AGENT|PAID_WITH|IN_ORG|EMAIL_AT|SIGNED_UP_FROM]-(other:Account)
         // Excluded: the account itself.
         WHERE other <> a
         RETURN DISTINCT other
       }) AS shared_with
ORDER BY kind, sessions DESC
LIMIT 200;
