// Indexes the pages and the detector read by.
CREATE INDEX account_created_at IF NOT EXISTS
FOR (n:Account) ON (n.created_at);
CREATE INDEX account_status IF NOT EXISTS
FOR (n:Account) ON (n.status);
CREATE INDEX session_started_at IF NOT EXISTS
FOR (n:Session) ON (n.started_at);
CREATE INDEX ip_network_type IF NOT EXISTS
FOR (n:IP) ON (n.network_type);
CREATE INDEX network_run IF NOT EXISTS
FOR (n:Network) ON (n.run_id);
CREATE INDEX detection_run_started_at IF NOT EXISTS
FOR (n:DetectionRun) ON (n.started_at);
CREATE INDEX audit_event_at IF NOT EXISTS
FOR (n:AuditEvent) ON (n.at);
