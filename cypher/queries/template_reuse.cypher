// title: Prompt templates reused across many accounts
// description: The same prompt template (SimHash) sent from many accounts:
// description: one script driving a fleet.
// category: Behaviour
// param: min_accounts int(2..100000) = 5 -- Accounts a template must be seen from
// param: limit int(1..1000) = 100 -- Rows to show at most
MATCH (t:PromptTemplate)<-[:USED_TEMPLATE]-(s:Session)<-[:HAS_SESSION]-(a:Account)
WITH t, count(DISTINCT a) AS accounts, count(s) AS sessions,
     collect(DISTINCT a.account_id)[..10] AS sample,
     collect(DISTINCT s.prompt_category)[..5] AS categories
// Excluded: templates seen from fewer accounts than asked for.
WHERE accounts >= $min_accounts
RETURN t.fingerprint AS template,
       accounts,
       sessions,
       categories,
       sample
ORDER BY accounts DESC, sessions DESC, template
LIMIT $limit
