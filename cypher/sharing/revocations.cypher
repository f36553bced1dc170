// How many times a case's publication in a collection was revoked (each
// revocation revokes its report once).
MATCH (o:SharedObject {case_id: $case_id})
// This collection's revoked reports only.
WHERE o.collection_id = $collection_id
  AND o.type = 'report'
  AND o.revoked
RETURN count(o) AS revocations;
