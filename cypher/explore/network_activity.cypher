// Sessions of a network's members per hour: the raw material of the
// activity heatmap (operator shifts and lockstep show as bands).
MATCH (:Network {network_id: $network_id, run_id: $run_id})<-[:MEMBER_OF]-(a:Account)-[:HAS_SESSION]->(s:Session)
WITH datetime.truncate('hour', s.started_at) AS hour, count(*) AS sessions, count(DISTINCT a) AS accounts
RETURN toString(hour) AS hour, sessions, accounts
ORDER BY hour
LIMIT 20000;
