// The prompt templates (SimHash fingerprints) of the given accounts' sessions.
UNWIND $account_ids AS id
MATCH (a:Account {account_id: id})-[:HAS_SESSION]->(s:Session)
// Excluded: sessions without a fingerprint.
WHERE s.prompt_fingerprint IS NOT NULL
RETURN a.account_id AS account_id, s.prompt_fingerprint AS key, count(s) AS sessions
LIMIT 2000000;
