// The population figures a full run kept for the incremental runs built on it.
MATCH (r:DetectionRun {run_id: $run_id})
RETURN r.reference AS reference;
