// The collections a case published anything to.
MATCH (o:SharedObject {case_id: $case_id})
WITH DISTINCT o.collection_id AS collection_id
MATCH (c:Collection {collection_id: collection_id})
RETURN c {.name, .collection_id, .title, .description, .kinds} AS collection
LIMIT 1000;
