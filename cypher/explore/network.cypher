// One network as a run shows it, with the snapshot it continues (without the
// stored summaries, which have their own statement), and whether its run is
// complete (then the snapshot never changes). A run shows its chain: a
// network an incremental run of the chain changed is that run's copy, so the
// snapshot's own run_id may be an earlier run of the chain.
MATCH (r:DetectionRun {run_id: $run_id})
WITH coalesce(r.chain, [r.run_id]) AS chain, r.status = 'complete' AS complete
UNWIND chain AS rid
MATCH (n:Network {network_id: $network_id, run_id: rid})
// Excluded: snapshots a later run of the chain replaced with its own copy.
WHERE NOT coalesce(n.replaced_by, '') IN chain
OPTIONAL MATCH (n)-[:CONTINUES]->(before:Network)
RETURN n {.*, shared: null, picture: null} AS network, before.size AS previous_size,
       before.run_id AS previous_run, complete
LIMIT 1;
