// title: Accounts asking for reasoning far more than the population
// description: Share of sessions that request step-by-step reasoning, as a
// description: z-score against all accounts with enough sessions.
// category: Behaviour
// param: min_sessions int(1..100000) = 5 -- Accounts with fewer sessions are left out
// param: min_z float(0..100) = 2.0 -- Standard deviations above the mean
// param: limit int(1..1000) = 100 -- Rows to show at most
MATCH (a:Account)
// Excluded: accounts with too few sessions for a rate to mean anything.
WHERE a.sessions >= $min_sessions
WITH a, toFloat(a.reasoning_sessions) / a.sessions AS rate
WITH collect({account: a, rate: rate}) AS rows, avg(rate) AS mean, stDev(rate) AS sd
UNWIND rows AS row
WITH row.account AS a, row.rate AS rate, mean, sd
// Excluded: accounts within min_z deviations of the mean.
WHERE sd > 0
  AND (rate - mean) / sd >= $min_z
RETURN a.account_id AS account,
       a.status AS status,
       a.sessions AS sessions,
       round(rate, 3) AS reasoning_rate,
       round(mean, 3) AS population_rate,
       round((rate - mean) / sd, 2) AS z_score
ORDER BY z_score DESC, account
LIMIT $limit
