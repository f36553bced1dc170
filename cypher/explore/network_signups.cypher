// Sign-up waves: members created in the same hour, with the prefixes they
// signed up from.
MATCH (:Network {network_id: $network_id, run_id: $run_id})<-[:MEMBER_OF]-(a:Account)
WITH datetime.truncate('hour', a.created_at) AS hour, collect(a) AS accounts
// Excluded: hours with a single sign-up (no wave).
WHERE size(accounts) >= 2
UNWIND accounts AS a
OPTIONAL MATCH (a)-[:SIGNED_UP_FROM]->(:IP)-[:IN_PREFIX]->(px:Prefix)
WITH hour, size(accounts) AS signups, collect(DISTINCT px.cidr) AS prefixes
RETURN toString(hour) AS hour, signups, prefixes[..5] AS prefixes, size(prefixes) AS prefix_count
ORDER BY signups DESC, hour
LIMIT $limit;
