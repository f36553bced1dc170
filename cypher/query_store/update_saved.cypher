// A new version of an own query; the one it replaces is kept as a
// :SavedQueryVersion linked from the query.
MATCH (q:SavedQuery {query_id: $query_id})
CREATE (v:SavedQueryVersion)
SET
  v.query_id = q.query_id,
  v.version = q.version,
  v.title = q.title,
  v.description = q.description,
  v.category = q.category,
  v.params = q.params,
  v.body = q.body,
  v.shared = q.shared,
  v.saved_at = q.updated_at,
  v.saved_by = q.updated_by
CREATE (q)-[:PREVIOUS_VERSION]->(v)
SET
  q += $props,
  q.version = q.version + 1,
  q.updated_at = datetime()
RETURN q.version AS version;
