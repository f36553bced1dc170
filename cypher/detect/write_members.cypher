// Write a batch of memberships of a run: (Account)-[:MEMBER_OF]->(Network).
UNWIND $members AS row
MATCH (a:Account {account_id: row.account_id})
MATCH (n:Network {network_id: row.network_id, run_id: $run_id})
CREATE (a)-[m:MEMBER_OF]->(n)
SET
  m.run_id = $run_id,
  m.score = row.score,
  m.flagged = row.flagged,
  m.strength = row.strength
RETURN count(m) AS written;
