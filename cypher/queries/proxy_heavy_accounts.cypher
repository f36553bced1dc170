// title: Accounts that mostly come through proxies or data centres
// description: Share of each account's sessions from proxy, VPN or data-centre
// description: addresses, for accounts with enough sessions.
// category: Infrastructure
// param: min_sessions int(1..100000) = 10 -- Accounts with fewer sessions are left out
// param: min_share float(0..1) = 0.8 -- Share of sessions through such addresses
// param: limit int(1..1000) = 100 -- Rows to show at most
MATCH (a:Account)-[u:USED_IP]->(ip:IP)
WITH a,
     sum(u.sessions) AS sessions,
     sum(CASE WHEN ip.network_type IN ['proxy', 'vpn', 'datacenter'] THEN u.sessions ELSE 0 END) AS hidden,
     collect(DISTINCT ip.proxy_provider) AS providers
// Excluded: accounts with too few sessions or too little hidden traffic.
WHERE sessions >= $min_sessions
  AND toFloat(hidden) / sessions >= $min_share
RETURN a.account_id AS account,
       a.status AS status,
       sessions,
       round(toFloat(hidden) / sessions, 3) AS proxy_share,
       providers[..5] AS providers
ORDER BY proxy_share DESC, sessions DESC, account
LIMIT $limit
