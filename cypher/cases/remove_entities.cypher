// Unlink entities from a case: the given (kind, key) pairs, or every one of an origin.
MATCH (:Case {case_id: $case_id})-[r:INCLUDES_ENTITY]->()
// Excluded: links not asked for.
WHERE r.origin = $origin
   OR any(x IN $entities WHERE x.kind = r.kind AND x.key = r.key)
DELETE r
RETURN count(*) AS removed;
