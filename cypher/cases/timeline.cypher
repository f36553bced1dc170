// Everything that happened to a case, from the audit trail, oldest first.
MATCH (e:AuditEvent {target: $case_id})
// Excluded: events of other kinds that happen to name the same target.
WHERE e.action STARTS WITH 'case.'
   OR e.action IN ['intel.publish', 'intel.revoke']
RETURN toString(e.at) AS at, e.actor AS actor, e.action AS action, e.source AS source,
       e.outcome AS outcome, e.details AS details
ORDER BY e.at, e.event_id
LIMIT 5000;
