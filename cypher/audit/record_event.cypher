// One audit event; the app only ever creates these, never edits or deletes them.
CREATE (e:AuditEvent {
  event_id: $event_id,
  at: datetime($at),
  actor: $actor,
  action: $action,
  target: $target,
  source: $source,
  outcome: $outcome,
  details: $details
})
