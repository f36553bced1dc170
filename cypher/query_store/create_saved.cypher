// An analyst's own query, version 1.
CREATE (q:SavedQuery {query_id: $query_id})
SET
  q += $props,
  q.owner = $owner,
  q.version = 1,
  q.created_at = datetime(),
  q.updated_at = datetime()
RETURN q.query_id AS query_id;
