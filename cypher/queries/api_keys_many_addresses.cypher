// title: API keys seen from many addresses
// description: Keys used from many client addresses (often rotating proxies),
// description: with the accounts and proxy providers behind them.
// category: Infrastructure
// param: min_addresses int(2..1000000) = 10 -- Addresses a key must be seen from
// param: limit int(1..1000) = 100 -- Rows to show at most
MATCH (k:ApiKey)<-[:USED_KEY]-(a:Account)-[:HAS_SESSION]->(s:Session)-[:FROM_IP]->(ip:IP)
// Excluded: the account's sessions under its other keys.
WHERE s.api_key_id = k.api_key_id
WITH k, count(DISTINCT ip) AS addresses, count(DISTINCT a) AS accounts, count(s) AS sessions,
     collect(DISTINCT ip.proxy_provider) AS providers, collect(DISTINCT a.account_id)[..5] AS sample
// Excluded: keys seen from fewer addresses than asked for.
WHERE addresses >= $min_addresses
RETURN k.api_key_id AS api_key,
       addresses,
       accounts,
       sessions,
       providers[..5] AS proxy_providers,
       sample
ORDER BY addresses DESC, sessions DESC
LIMIT $limit
