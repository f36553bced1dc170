// A case's entities, most shared first.
MATCH (:Case {case_id: $case_id})-[r:INCLUDES_ENTITY]->(e)
RETURN r {.*, network_type: e.network_type, proxy_provider: e.proxy_provider} AS entity
ORDER BY r.accounts DESC, r.sessions DESC, r.kind, r.key
LIMIT 20000;
