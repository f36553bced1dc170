// The audit page filters by who and what; sign-in throttling reads by who.
CREATE INDEX audit_event_actor IF NOT EXISTS
FOR (n:AuditEvent) ON (n.actor);
CREATE INDEX audit_event_action IF NOT EXISTS
FOR (n:AuditEvent) ON (n.action);
