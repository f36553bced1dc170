// The prompt SimHash of every session that has one, by account.
MATCH (a:Account)-[:HAS_SESSION]->(s:Session)
WHERE s.prompt_fingerprint IS NOT NULL
RETURN a.account_id AS account_id, s.prompt_fingerprint AS fingerprint;
