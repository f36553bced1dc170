// What partners read over TAXII: per partner, how many reads and the latest.
MATCH (e:AuditEvent {action: 'taxii.read'})
// Partners act as `partner:NAME`; nothing else reads TAXII.
WHERE e.actor STARTS WITH 'partner:'
RETURN substring(e.actor, 8) AS name, count(e) AS reads, toString(max(e.at)) AS last_read
ORDER BY name
LIMIT 1000;
