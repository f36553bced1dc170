// What the detector stored on a network: shared infrastructure and the
// graph view's picture (JSON; null for runs written before it did).
MATCH (n:Network {network_id: $network_id, run_id: $run_id})
RETURN n.shared AS shared, n.picture AS picture;
