// title: The graph's schema
// description: Labels and relationship types of the evidence graph, drawn as
// description: a graph (db.schema.visualization).
// category: Reference
CALL db.schema.visualization()
YIELD nodes, relationships
RETURN nodes, relationships
LIMIT 1
