// title: Autonomous systems hosting many new accounts' sign-ups
// description: Sign-ups per AS since a date, with how many of those accounts
// description: are banned now.
// category: Sign-up
// param: since date = 2000-01-01 -- Count accounts created on or after this day
// param: limit int(1..1000) = 50 -- Rows to show at most
MATCH (a:Account)-[:SIGNED_UP_FROM]->(:IP)-[:IN_ASN]->(asn:ASN)
// Excluded: accounts created before the day asked for.
WHERE a.created_at >= datetime($since)
WITH asn, count(a) AS signups, count(CASE WHEN a.status = 'banned' THEN 1 END) AS banned
RETURN asn.asn AS asn,
       asn.as_org AS organisation,
       signups,
       banned,
       round(toFloat(banned) / signups, 3) AS banned_share
ORDER BY signups DESC, asn
LIMIT $limit
