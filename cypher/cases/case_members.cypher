// A case's accounts with the facts frozen when they were added, best score first.
MATCH (:Case {case_id: $case_id})-[r:INCLUDES]->(a:Account)
RETURN r {.*, account_id: a.account_id} AS member
ORDER BY coalesce(r.score, 0) DESC, a.account_id
LIMIT 100000;
