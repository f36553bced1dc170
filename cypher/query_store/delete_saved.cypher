// Delete an own query with its earlier versions.
MATCH (q:SavedQuery {query_id: $query_id})
OPTIONAL MATCH (q)-[:PREVIOUS_VERSION]->(v:SavedQueryVersion)
DETACH DELETE q, v
RETURN count(*) AS deleted;
