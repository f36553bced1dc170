// The totals of the networks incremental run $run_id copied, from their
// members now; with the totals of the snapshot each continues (for the
// run's counts).
MATCH (n:Network {run_id: $run_id})
WHERE n.network_id IN $network_ids
MATCH (n)<-[:MEMBER_OF]-(a:Account)
WITH n, count(a) AS size, sum(coalesce(a.sessions, 0)) AS sessions,
     sum(coalesce(a.requests, 0)) AS requests,
     sum(coalesce(a.input_tokens, 0) + coalesce(a.output_tokens, 0)) AS tokens,
     sum(CASE WHEN a.status = 'banned' THEN 1 ELSE 0 END) AS banned
SET n.size = size, n.sessions = sessions, n.requests = requests, n.tokens = tokens,
    n.banned = banned
WITH n
OPTIONAL MATCH (n)-[:CONTINUES]->(old:Network)
RETURN n.network_id AS network_id, n.flagged AS flagged, n.sessions AS sessions,
       n.tokens AS tokens, old.flagged AS was_flagged, coalesce(old.sessions, 0) AS old_sessions,
       coalesce(old.tokens, 0) AS old_tokens;
