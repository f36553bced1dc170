// title: Accounts sharing a payment token with a banned account
// description: Card or wallet tokens that paid for a banned account and for
// description: accounts still open: an operator re-using a card for new heads.
// category: Payments
// param: min_open int(1..1000) = 1 -- Open accounts a token must also pay for
// param: limit int(1..1000) = 100 -- Rows to show at most
MATCH (banned:Account {status: 'banned'})-[:PAID_WITH]->(p:Payment)<-[:PAID_WITH]-(a:Account)
// Excluded: accounts that are banned themselves.
WHERE a.status <> 'banned'
WITH p, collect(DISTINCT banned.account_id) AS banned_accounts, collect(DISTINCT a) AS open_accounts
// Excluded: tokens shared with fewer open accounts than asked for.
WHERE size(open_accounts) >= $min_open
RETURN p.fingerprint AS payment,
       size(banned_accounts) AS banned,
       size(open_accounts) AS open,
       banned_accounts[..10] AS banned_sample,
       [x IN open_accounts | x.account_id][..10] AS open_sample
ORDER BY open DESC, banned DESC, payment
LIMIT $limit
