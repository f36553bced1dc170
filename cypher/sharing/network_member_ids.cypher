// The ids of a network's members in one run.
MATCH (:Network {network_id: $network_id, run_id: $run_id})<-[:MEMBER_OF]-(a:Account)
RETURN collect(a.account_id) AS ids;
