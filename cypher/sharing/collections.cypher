// Every collection, with how many objects (all versions) it holds.
MATCH (c:Collection)
OPTIONAL MATCH (o:SharedObject {collection_id: c.collection_id})
WITH c, count(o) AS objects
RETURN c {.name, .collection_id, .title, .description, .kinds} AS collection, objects
ORDER BY c.name
LIMIT 1000;
