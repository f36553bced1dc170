// One network in the latest complete run (one round trip for the common case).
MATCH (r:DetectionRun {status: 'complete'})
WITH r
ORDER BY r.started_at DESC
LIMIT 1
MATCH (n:Network {network_id: $network_id, run_id: r.run_id})
OPTIONAL MATCH (n)-[:CONTINUES]->(before:Network)
RETURN n {.*, shared: null, picture: null} AS network, before.size AS previous_size,
       before.run_id AS previous_run;
