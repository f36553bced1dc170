"""Attacks on the query guard, shared by the service, web, API and CLI tests, and a
fingerprint of the graph to show that none of them changed it."""

from __future__ import annotations

from app.db.graph import Graph

# Writes, schema and admin commands, file reads and procedures, hidden in
# comments, strings, subqueries and odd casing. None may change the graph.
ATTACKS = [
    "match (n) detach delete n",
    "MATCH (n) DETACH DELETE n",
    "MATCH (n) CALL { WITH n SET n.x = 1 } RETURN 1",
    "MATCH (n) CALL (n) { SET n.pwned = true } RETURN count(*)",
    "MATCH (n:Account) WITH n LIMIT 1 CALL { WITH n DETACH DELETE n } RETURN 1",
    "LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l",
    "CALL dbms.security.createUser('eve', 'secret-password', false)",
    "CALL dbms.listConfig()",
    "CALL dbms.components()",
    "CALL apoc.cypher.runWrite('CREATE (n)', {})",
    "CALL apoc.help('create')",
    "CALL db.index.fulltext.queryNodes('x', 'y')",
    "CREATE INDEX pwn IF NOT EXISTS FOR (n:Account) ON (n.plan)",
    "DROP CONSTRAINT account_id",
    "SHOW USERS",
    "SHOW INDEXES",
    "// MATCH\nCREATE (n)",
    "/* MATCH (n) RETURN n */ CREATE (n:Pwned)",
    "RETURN 1; CREATE (n)",
    "RETURN 1 // ; CREATE (n)\n; MERGE (x:Pwned)",
    "USING PERIODIC COMMIT LOAD CSV FROM 'file:///x' AS l CREATE (n)",
    "UNWIND range(1, 3) AS i CALL { CREATE (:Pwned) } IN TRANSACTIONS RETURN i",
    "MATCH (n:Account) FOREACH (x IN [1] | SET n.status = 'active')",
    "MATCH (a:Account) WITH a LIMIT 1 MERGE (a)-[:PWNED]->(:Pwned) RETURN a",
    "MATCH (a:Account) REMOVE a.status RETURN count(a)",
    "MATCH (a:Account) SET a:Pwned RETURN count(a)",
    "CrEaTe (n:Pwned {s: 'MATCH (n) RETURN n'}) RETURN n",
    "WITH 'x' AS s CREATE (:Pwned {s: s}) RETURN 1",
    "USE system SHOW USERS",
    "CREATE DATABASE pwned",
    "GRANT ROLE admin TO neo4j",
    "MATCH (n) RETURN n LIMIT 1 UNION CREATE (n:Pwned) RETURN n",
    "OPTIONAL MATCH (n:Nothing) CALL { CREATE (x:Pwned) RETURN x } RETURN x",
    "PROFILE MATCH (n) DETACH DELETE n",
    "RETURN 'a;b' AS s; CALL dbms.security.createUser('eve', 'secret-password', false)",
]


def counts(graph: Graph) -> tuple[int, int, int, int]:
    """Nodes, relationships and their property counts, leaving out the audit trail
    that every run adds to (a SET or REMOVE changes the property counts)."""
    nodes = graph.run_text("MATCH (n) WHERE NOT n:AuditEvent "
                           "RETURN count(n) AS c, sum(size(keys(n)) + size(labels(n))) AS p")[0]
    rels = graph.run_text("MATCH ()-[r]->() RETURN count(r) AS c, sum(size(keys(r))) AS p")[0]
    return int(nodes["c"]), int(nodes["p"] or 0), int(rels["c"]), int(rels["p"] or 0)
