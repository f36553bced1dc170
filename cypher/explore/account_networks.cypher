// The networks an account was a member of, newest run first.
MATCH (a:Account {account_id: $account_id})-[m:MEMBER_OF]->(n:Network)
MATCH (n)-[:IN_RUN]->(r:DetectionRun {status: 'complete'})
RETURN n.network_id AS network_id, r.run_id AS run_id, toString(r.started_at) AS started_at,
       n.score AS network_score, n.flagged AS network_flagged, m.score AS score,
       m.flagged AS flagged
ORDER BY r.started_at DESC
LIMIT 50;
