// Per account, in one pass over its sessions: the prompt SimHash of each
// session that has one, each session's start in epoch seconds (co-activity in
// short windows; its UTC hour for lockstep hours), the prompt category of each
// session that has one (subject sweeps) and the output tokens of all its
// sessions (the length of what it harvests). Rows of $chunk accounts, each
// [account_id, fingerprints, starts, categories, output_tokens]; an account
// without sessions is not listed.
MATCH (a:Account)
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
