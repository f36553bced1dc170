// Cases: pinned evidence has its own key; a case's timeline reads the audit
// trail by target, and the case list filters by status.
CREATE CONSTRAINT pinned_evidence_id IF NOT EXISTS
FOR (n:PinnedEvidence) REQUIRE n.evidence_id IS UNIQUE;
CREATE INDEX audit_event_target IF NOT EXISTS
FOR (n:AuditEvent) ON (n.target);
CREATE INDEX case_status IF NOT EXISTS
FOR (n:Case) ON (n.status);
