// Sessions of a network's members per hour (hours since the epoch): the raw
// material of the activity heatmap (operator shifts and lockstep show as bands).
MATCH (:Network {network_id: $network_id, run_id: $run_id})<-[:MEMBER_OF]-(a:Account)-[:HAS_SESSION]->(s:Session)
WITH s.started_at.epochSeconds / 3600 AS hour, a
WITH hour, count(*) AS sessions, count(DISTINCT a) AS accounts
RETURN hour, sessions, accounts
ORDER BY hour
LIMIT 20000;
