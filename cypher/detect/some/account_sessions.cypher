// Per account named in $ids, in one pass over its sessions, what
// detect/account_sessions reads for every account.
UNWIND $ids AS id
MATCH (a:Account {account_id: id})-[:HAS_SESSION]->(s:Session)
WITH a, collect(s.prompt_fingerprint) AS fingerprints, collect(s.started_at.hour) AS hours,
     collect(s.started_at.epochSeconds) AS starts, collect(s.prompt_category) AS categories,
     sum(coalesce(s.output_tokens, 0)) AS output_tokens
RETURN a.account_id AS account_id, fingerprints, hours, starts, categories, output_tokens;
