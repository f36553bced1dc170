// Keys of detection output and investigation state.
CREATE CONSTRAINT detection_run_id IF NOT EXISTS
FOR (n:DetectionRun) REQUIRE n.run_id IS UNIQUE;
// A network keeps its id across runs; each run has its own snapshot of it.
CREATE CONSTRAINT network_snapshot IF NOT EXISTS
FOR (n:Network) REQUIRE (n.network_id, n.run_id) IS UNIQUE;
CREATE CONSTRAINT sequence_name IF NOT EXISTS
FOR (n:Sequence) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT case_id IF NOT EXISTS
FOR (n:Case) REQUIRE n.case_id IS UNIQUE;
CREATE CONSTRAINT note_id IF NOT EXISTS
FOR (n:Note) REQUIRE n.note_id IS UNIQUE;
CREATE CONSTRAINT saved_query_id IF NOT EXISTS
FOR (n:SavedQuery) REQUIRE n.query_id IS UNIQUE;
CREATE CONSTRAINT user_name IF NOT EXISTS
FOR (n:User) REQUIRE n.username IS UNIQUE;
CREATE CONSTRAINT audit_event_id IF NOT EXISTS
FOR (n:AuditEvent) REQUIRE n.event_id IS UNIQUE;
