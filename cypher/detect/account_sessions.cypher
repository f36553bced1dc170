// Per account, in one pass over its sessions: the prompt SimHash of each
// session that has one, the UTC hour each session started (for lockstep
// hours), its start in epoch seconds (for co-activity in short windows),
// the prompt category of each session that has one (for subject sweeps) and
// the output tokens of all its sessions (the length of what it harvests).
// One row per account keeps the transfer small.
MATCH (a:Account)-[:HAS_SESSION]->(s:Session)
WITH a, collect(s.prompt_fingerprint) AS fingerprints, collect(s.started_at.hour) AS hours,
     collect(s.started_at.epochSeconds) AS starts, collect(s.prompt_category) AS categories,
     sum(coalesce(s.output_tokens, 0)) AS output_tokens
RETURN a.account_id AS account_id, fingerprints, hours, starts, categories, output_tokens;
