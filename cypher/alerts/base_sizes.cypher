// The size of each named network in the full run $run_id.
MATCH (n:Network {run_id: $run_id})
WHERE n.network_id IN $network_ids
RETURN n.network_id AS network_id, n.size AS size;
