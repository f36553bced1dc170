// What the given accounts touch: addresses (used or signed up from), devices,
// API keys, user agents and payment tokens, with session counts.
UNWIND $account_ids AS id
MATCH (a:Account {account_id: id})-[u:USED_IP|USED_DEVICE|USED_KEY|USED_AGENT|PAID_WITH|SIGNED_UP_FROM]->(e)
RETURN a.account_id AS account_id, type(u) AS rel,
       coalesce(e.address, e.fingerprint, e.api_key_id, e.value) AS key,
       coalesce(u.sessions, 0) AS sessions, e.network_type AS network_type,
       e.proxy_provider AS proxy_provider
LIMIT 2000000;
