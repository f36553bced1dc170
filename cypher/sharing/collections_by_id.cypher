// The collections of the given ids (those a partner may read), by name.
UNWIND $ids AS id
MATCH (c:Collection {collection_id: id})
RETURN c {.name, .collection_id, .title, .description, .kinds} AS collection
ORDER BY c.name
LIMIT 1000;
