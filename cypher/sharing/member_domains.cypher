// E-mail domains that only the given accounts use, with how many of them use each.
UNWIND $account_ids AS id
MATCH (a:Account {account_id: id})-[:EMAIL_AT]->(d:EmailDomain)
WITH d, count(DISTINCT a) AS accounts
// A domain anyone outside the group also uses (free mail, a company) is not theirs.
WHERE COUNT { (d)<-[:EMAIL_AT]-(:Account) } = accounts
RETURN d.name AS domain, accounts
ORDER BY accounts DESC, domain
LIMIT 150;
