// title: Proxy providers ranked by suspicious traffic
// description: Sessions through each proxy or VPN provider, and how many came
// description: from accounts in suspected networks of the latest run or banned.
// category: Infrastructure
// param: limit int(1..1000) = 50 -- Rows to show at most
CALL () {
  MATCH (r:DetectionRun {status: 'complete'})
  RETURN coalesce(r.chain, [r.run_id]) AS chain
  ORDER BY r.finished_at DESC
  LIMIT 1
}
MATCH (a:Account)-[u:USED_IP]->(ip:IP)
// Excluded: addresses no intel feed names a provider for.
WHERE ip.proxy_provider IS NOT NULL
WITH ip, a, u, EXISTS {
  MATCH (a)-[m:MEMBER_OF {flagged: true}]->(n:Network)
  WHERE m.run_id IN chain AND NOT coalesce(n.replaced_by, '') IN chain
} AS flagged
WITH ip.proxy_provider AS provider, a, u, (flagged OR a.status = 'banned') AS suspicious
WITH provider,
     sum(u.sessions) AS sessions,
     sum(CASE WHEN suspicious THEN u.sessions ELSE 0 END) AS suspicious_sessions,
     count(DISTINCT a) AS accounts,
     count(DISTINCT CASE WHEN suspicious THEN a END) AS suspicious_accounts
RETURN provider,
       sessions,
       suspicious_sessions,
       round(toFloat(suspicious_sessions) / sessions, 3) AS suspicious_share,
       accounts,
       suspicious_accounts
ORDER BY suspicious_sessions DESC, provider
LIMIT $limit
