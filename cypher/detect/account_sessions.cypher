// Per account, in one pass over its sessions: the prompt SimHash of each
// session that has one, the UTC hour each session started (for lockstep
// hours) and its start in epoch seconds (for co-activity in short windows).
// One row per account keeps the transfer small.
MATCH (a:Account)-[:HAS_SESSION]->(s:Session)
WITH a, collect(s.prompt_fingerprint) AS fingerprints, collect(s.started_at.hour) AS hours,
     collect(s.started_at.epochSeconds) AS starts
RETURN a.account_id AS account_id, fingerprints, hours, starts;
