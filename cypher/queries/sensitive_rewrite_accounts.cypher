// title: Accounts asking for censorship-safe rewrites
// description: Accounts with many sensitive-rewrite sessions and refusals,
// description: a sign of collecting data to train around a model's refusals.
// category: Behaviour
// param: min_rewrites int(1..100000) = 3 -- Rewrite sessions at least
// param: limit int(1..1000) = 100 -- Rows to show at most
MATCH (a:Account)
// Excluded: accounts with fewer rewrite sessions than asked for.
WHERE a.rewrite_sessions >= $min_rewrites
RETURN a.account_id AS account,
       a.status AS status,
       a.sessions AS sessions,
       a.rewrite_sessions AS rewrite_sessions,
       a.refusals AS refusals,
       round(toFloat(a.rewrite_sessions) / a.sessions, 3) AS rewrite_share
ORDER BY rewrite_sessions DESC, account
LIMIT $limit
