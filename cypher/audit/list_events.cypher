// A page of audit events, newest first, filtered by actor, action prefix,
// outcome and time range (each filter off when its parameter is null).
MATCH (e:AuditEvent)
WHERE ($actor IS NULL OR e.actor = $actor)
  AND ($action IS NULL OR e.action STARTS WITH $action)
  AND ($outcome IS NULL OR e.outcome = $outcome)
  AND ($since IS NULL OR e.at >= datetime($since))
  AND ($until IS NULL OR e.at < datetime($until))
WITH e
ORDER BY e.at DESC
WITH collect(e) AS events
RETURN size(events) AS total,
       [e IN events[$skip..$skip + $limit] | e {.event_id, .actor, .action, .target, .source,
                                                .outcome, .details, at: toString(e.at)}] AS events;
