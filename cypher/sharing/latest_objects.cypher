// The latest version of every object a case published to a collection.
MATCH (o:SharedObject {case_id: $case_id})
// Only the collection asked about; a case may publish to several.
WHERE o.collection_id = $collection_id
  AND o.latest
RETURN o.object_id AS object_id, o.created AS created, o.version AS version,
       o.content_hash AS content_hash, o.revoked AS revoked, o.json AS json
LIMIT 100000;
