// Copy network snapshots into incremental run $run_id: each copy takes its
// snapshot's properties (with what this run changed), continues it, and
// holds every membership of it but those in row.skip (accounts leaving it,
// or whose membership this run writes anew); row.facts overrides the
// score, flag and evidence of a network that now scores as one. The
// snapshot is marked `replaced_by` this run (views of runs whose chain holds
// this run show the copy instead).
UNWIND $networks AS row
MATCH (old:Network {network_id: row.network_id, run_id: row.from_run})
MATCH (r:DetectionRun {run_id: $run_id})
CREATE (n:Network {network_id: row.network_id, run_id: $run_id})
SET n += old {.*, run_id: $run_id, replaced_by: null, joined: row.joined, left: row.left,
              new_heads: row.new_heads, lineage: row.lineage,
              shared: coalesce(row.shared, old.shared),
              picture: coalesce(row.picture, old.picture)}
SET n += row.facts
SET old.replaced_by = $run_id
CREATE (n)-[:IN_RUN]->(r)
CREATE (n)-[:CONTINUES]->(old)
WITH n, old, row
CALL (n, old, row) {
  MATCH (old)<-[m:MEMBER_OF]-(a:Account)
  // Excluded: members leaving, or whose membership this run writes anew.
  WHERE NOT a.account_id IN row.skip
  CREATE (a)-[c:MEMBER_OF]->(n)
  SET c = m {.*, run_id: $run_id}
  RETURN count(c) AS copied
}
RETURN count(n) AS copied;
