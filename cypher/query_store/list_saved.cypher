// Own queries a user may see: shared ones and the user's private ones.
MATCH (q:SavedQuery)
// Excluded: other users' private queries.
WHERE q.shared OR q.owner = $username
RETURN q.query_id AS query_id, q.title AS title, q.description AS description,
       q.category AS category, q.params AS params, q.body AS body, q.owner AS owner,
       q.shared AS shared, q.version AS version, toString(q.updated_at) AS updated_at
ORDER BY q.category, q.title
LIMIT 2000;
