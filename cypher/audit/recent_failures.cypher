// Failed sign-ins in the last window: for one user name since its last
// successful sign-in, and from one client address.
MATCH (e:AuditEvent)
WHERE e.at > datetime() - duration({seconds: $window_seconds})
  AND e.action IN ['login.failed', 'login.ok']
  AND (e.actor = $username OR e.source = $source)
WITH e
ORDER BY e.at
WITH collect(e) AS events
WITH events,
     [i IN range(0, size(events) - 1) WHERE events[i].action = 'login.ok' AND events[i].actor = $username] AS successes
WITH events, CASE WHEN size(successes) = 0 THEN -1 ELSE successes[-1] END AS last_success
RETURN
  size([i IN range(0, size(events) - 1) WHERE i > last_success AND events[i].action = 'login.failed' AND events[i].actor = $username]) AS by_user,
  size([e IN events WHERE e.action = 'login.failed' AND e.source = $source]) AS by_source;
