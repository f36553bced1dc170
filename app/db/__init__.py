"""Access to Neo4j: the driver, named Cypher files, schema migrations, the managed server."""
