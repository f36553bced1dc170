// The latest TAXII reads, newest first, with what each fetched.
MATCH (e:AuditEvent {action: 'taxii.read'})
// Partners act as `partner:NAME`; nothing else reads TAXII.
WHERE e.actor STARTS WITH 'partner:'
RETURN substring(e.actor, 8) AS name, toString(e.at) AS at, e.target AS collection,
       e.source AS source, e.details AS details
ORDER BY e.at DESC
LIMIT $limit;
