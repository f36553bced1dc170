// One network in one run, with the snapshot it continues (without the
// stored summaries, which have their own statement), and whether its run is
// complete (then the snapshot never changes).
MATCH (n:Network {network_id: $network_id, run_id: $run_id})
OPTIONAL MATCH (n)-[:CONTINUES]->(before:Network)
RETURN n {.*, shared: null, picture: null} AS network, before.size AS previous_size,
       before.run_id AS previous_run,
       EXISTS { (:DetectionRun {run_id: $run_id, status: 'complete'}) } AS complete;
