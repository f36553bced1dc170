// A page of a collection's feed: object versions in the order they were added,
// after a position (`next`) and a time (`added_after`), filtered by id, type and
// version (`last`, `first`, `all` or given versions).
MATCH (o:SharedObject)
WHERE o.collection_id = $collection_id
  AND o.seq > $after_seq
  // Each filter applies only when given.
  AND ($added_after IS NULL OR o.date_added > $added_after)
  AND ($ids IS NULL OR o.object_id IN $ids)
  AND ($types IS NULL OR o.type IN $types)
  AND ($all_versions
       OR ($last AND o.latest)
       OR ($first AND o.version = o.created)
       OR o.version IN $versions)
RETURN o.seq AS seq, o.object_id AS object_id, o.version AS version,
       o.date_added AS date_added, o.json AS json
ORDER BY o.seq
LIMIT $limit;
