// title: E-mail domains favoured by banned accounts
// description: Domains where many accounts sign up and a large share end up
// description: banned; filter by domains listed by name.
// category: Sign-up
// param: domains list = "" -- Only these domains (comma-separated; empty for all)
// param: min_accounts int(1..1000000) = 5 -- Accounts a domain must have
// param: limit int(1..1000) = 50 -- Rows to show at most
MATCH (a:Account)-[:EMAIL_AT]->(d:EmailDomain)
// Excluded: domains not in the list, when a list is given.
WHERE size($domains) = 0 OR d.name IN $domains
WITH d, count(a) AS accounts, count(CASE WHEN a.status = 'banned' THEN 1 END) AS banned
// Excluded: domains with too few accounts.
WHERE accounts >= $min_accounts
RETURN d.name AS domain,
       accounts,
       banned,
       round(toFloat(banned) / accounts, 3) AS banned_share
ORDER BY banned_share DESC, accounts DESC, domain
LIMIT $limit
