// Per account named in $ids, what detect/account_sessions reads for every
// account, in the same rows.
UNWIND $ids AS id
MATCH (a:Account {account_id: id})
WITH collect(a) AS accounts
UNWIND range(0, size(accounts) - 1, $chunk) AS first
CALL (accounts, first) {
  UNWIND accounts[first..first + $chunk] AS a
  MATCH (a)-[:HAS_SESSION]->(s:Session)
  WITH a, collect(s.prompt_fingerprint) AS fingerprints,
       collect(s.started_at.epochSeconds) AS starts, collect(s.prompt_category) AS categories,
       sum(coalesce(s.output_tokens, 0)) AS output_tokens
  RETURN collect([a.account_id, fingerprints, starts, categories, output_tokens]) AS sessions
}
RETURN sessions;
