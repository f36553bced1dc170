// A collection by name, made with the given policy when it does not exist yet.
MERGE (c:Collection {name: $name})
ON CREATE SET c.collection_id = $collection_id, c.title = $title,
              c.description = $description, c.kinds = $kinds, c.created_at = datetime()
RETURN c {.name, .collection_id, .title, .description, .kinds} AS collection;
