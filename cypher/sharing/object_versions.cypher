// Every version of one object in a collection, oldest first.
MATCH (o:SharedObject {object_id: $object_id})
// Only this collection's copy.
WHERE o.collection_id = $collection_id
RETURN o.version AS version, o.date_added AS date_added
ORDER BY o.version
LIMIT 10000;
