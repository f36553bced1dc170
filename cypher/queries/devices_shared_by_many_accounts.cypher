// title: Devices shared by many accounts
// description: Device fingerprints used by many accounts, with how many of
// description: those accounts are banned.
// category: Infrastructure
// param: min_accounts int(2..100000) = 2 -- Accounts a device must be used by
// param: limit int(1..1000) = 100 -- Rows to show at most
MATCH (d:Device)<-[u:USED_DEVICE]-(a:Account)
WITH d, count(a) AS accounts, sum(u.sessions) AS sessions,
     count(CASE WHEN a.status = 'banned' THEN 1 END) AS banned,
     collect(a.account_id)[..10] AS sample
// Excluded: devices used by fewer accounts than asked for.
WHERE accounts >= $min_accounts
RETURN d.fingerprint AS device,
       accounts,
       banned,
       sessions,
       sample
ORDER BY accounts DESC, banned DESC, device
LIMIT $limit
