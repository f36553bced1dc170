// Per account, in one pass over its sessions: the prompt SimHash of each
// session that has one, and the UTC hour each session started (for lockstep
// timing). One row per account keeps the transfer small.
MATCH (a:Account)-[:HAS_SESSION]->(s:Session)
WITH a, collect(s.prompt_fingerprint) AS fingerprints, collect(s.started_at.hour) AS hours
RETURN a.account_id AS account_id, fingerprints, hours;
