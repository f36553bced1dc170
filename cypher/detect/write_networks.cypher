// Write a batch of networks of a run, linked to the run and, where they
// continue a network of the previous run, to that network's snapshot (which
// an earlier run of the previous run's chain may hold: row.previous_run).
UNWIND $networks AS row
MATCH (r:DetectionRun {run_id: $run_id})
CREATE (n:Network {network_id: row.network_id, run_id: $run_id})
SET
  n.score = row.score,
  n.intent = row.intent,
  n.flagged = row.flagged,
  n.size = row.size,
  n.sessions = row.sessions,
  n.requests = row.requests,
  n.tokens = row.tokens,
  n.banned = row.banned,
  n.reasons = row.reasons,
  n.evidence = row.evidence,
  n.lineage = row.lineage,
  n.joined = row.joined,
  n.left = row.left,
  n.new_heads = row.new_heads,
  n.status = row.status,
  // What members share and the graph view's picture, computed by the detector.
  n.shared = row.shared,
  n.picture = row.picture,
  // What a suspected network's heads look like, for incremental runs.
  n.likeness = row.likeness
CREATE (n)-[:IN_RUN]->(r)
WITH n, row
OPTIONAL MATCH (before:Network {network_id: row.network_id, run_id: row.previous_run})
FOREACH (_ IN CASE WHEN before IS NULL THEN [] ELSE [1] END |
  CREATE (n)-[:CONTINUES]->(before))
RETURN count(n) AS written;
