// New versions of shared objects, numbered in the collection feed's order (the
// order partners page through). The block of numbers is taken first, in the
// same transaction, so concurrent publications commit in the order they number.
// The versions before each new one stop being the latest.
MERGE (s:Sequence {name: 'shared-object'})
ON CREATE SET s.value = 0
SET s.value = s.value + size($objects)
WITH s.value - size($objects) AS start
UNWIND range(0, size($objects) - 1) AS i
WITH start + i + 1 AS seq, $objects[i] AS obj
OPTIONAL MATCH (old:SharedObject {object_id: obj.object_id})
// Another collection's copy of the same object is its own feed.
WHERE old.collection_id = $collection_id
  AND old.latest
SET old.latest = false
WITH DISTINCT seq, obj
CREATE (o:SharedObject {
  collection_id: $collection_id,
  object_id: obj.object_id,
  type: obj.type,
  version: obj.version,
  created: obj.created,
  date_added: obj.date_added,
  content_hash: obj.content_hash,
  revoked: obj.revoked,
  case_id: $case_id,
  json: obj.json,
  seq: seq,
  latest: true
})
RETURN count(o) AS added;
