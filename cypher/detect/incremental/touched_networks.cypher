// The networks of a run (as its chain shows them), not suspected and of three
// members or more, that members a load changed since $since belong to, best
// scored first: those an incremental run may score again.
MATCH (a:Account)
WHERE a.loaded_at >= $since
MATCH (a)-[m:MEMBER_OF]->(n:Network)
WHERE m.run_id IN $chain AND NOT coalesce(n.replaced_by, '') IN $chain
  AND NOT n.flagged AND n.size >= 3
WITH n, count(a) AS changed
RETURN n.network_id AS network_id, n.run_id AS run_id, n.score AS score, n.size AS size,
       n.likeness AS likeness, changed
ORDER BY score DESC, network_id
LIMIT $limit;
