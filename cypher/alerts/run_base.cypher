// The full run a detection run's chain builds on (its last element).
MATCH (r:DetectionRun {run_id: $run_id})
RETURN coalesce(r.chain, [r.run_id])[-1] AS base;
