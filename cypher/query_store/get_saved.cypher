// One own query (whoever may see it is checked by the caller) with its
// earlier versions, newest first.
MATCH (q:SavedQuery {query_id: $query_id})
OPTIONAL MATCH (q)-[:PREVIOUS_VERSION]->(v:SavedQueryVersion)
WITH q, v
ORDER BY v.version DESC
RETURN q.query_id AS query_id, q.title AS title, q.description AS description,
       q.category AS category, q.params AS params, q.body AS body, q.owner AS owner,
       q.shared AS shared, q.version AS version, toString(q.updated_at) AS updated_at,
       [x IN collect(v) | x {.version, .title, .body, .params, .description, .category,
                             saved_at: toString(x.saved_at)}] AS versions
LIMIT 1;
