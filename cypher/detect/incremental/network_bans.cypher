// For each network snapshot named in $networks ({network_id, run_id}): when
// the first of its members was banned (null when none was).
UNWIND $networks AS row
MATCH (:Network {network_id: row.network_id, run_id: row.run_id})<-[:MEMBER_OF]-(a:Account)
WHERE a.status = 'banned' AND a.status_changed_at IS NOT NULL
RETURN row.network_id AS network_id, min(a.status_changed_at).epochSeconds AS first_ban;
