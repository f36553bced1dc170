// title: Sign-up bursts from one address prefix
// description: Many accounts created from one /24 (IPv4) or /48 (IPv6) prefix
// description: within the same time window.
// category: Sign-up
// param: window_hours int(1..720) = 24 -- Width of a time window in hours
// param: min_signups int(2..100000) = 5 -- Sign-ups in one window to count as a burst
// param: limit int(1..1000) = 100 -- Rows to show at most
MATCH (a:Account)-[:SIGNED_UP_FROM]->(:IP)-[:IN_PREFIX]->(px:Prefix)
WITH px, a, a.created_at.epochSeconds / (3600 * $window_hours) AS window
WITH px, window, count(a) AS signups, collect(a.account_id)[..10] AS sample,
     min(a.created_at) AS first, max(a.created_at) AS last
// Excluded: windows with fewer sign-ups than a burst.
WHERE signups >= $min_signups
RETURN px.cidr AS prefix,
       first,
       last,
       signups,
       sample
ORDER BY signups DESC, first
LIMIT $limit
