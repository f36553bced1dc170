// Every member of the network snapshots named in $networks ({network_id,
// run_id}), with its membership's score, flag and strength.
UNWIND $networks AS row
MATCH (:Network {network_id: row.network_id, run_id: row.run_id})<-[m:MEMBER_OF]-(a:Account)
RETURN row.network_id AS network_id, a.account_id AS account_id, m.score AS score,
       m.flagged AS flagged, coalesce(m.strength, 0.0) AS strength;
