// The memberships of the accounts named in $ids in a run as its chain shows
// it, with their network's snapshot (the run that wrote it) and facts.
UNWIND $ids AS id
MATCH (a:Account {account_id: id})-[m:MEMBER_OF]->(n:Network)
// Excluded: other runs, and snapshots a later run of the chain replaced.
WHERE m.run_id IN $chain AND NOT coalesce(n.replaced_by, '') IN $chain
RETURN id AS account_id, n.network_id AS network_id, n.run_id AS run_id,
       n.flagged AS flagged, n.score AS network_score, n.size AS size,
       n.likeness AS likeness, m.score AS score,
       m.flagged AS member_flagged, coalesce(m.strength, 0.0) AS strength;
