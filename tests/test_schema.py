import pytest
from neo4j.exceptions import ConstraintError

from app.db.graph import Graph
from app.db.migrations import apply_migrations, migration_files


def test_migrations_are_recorded_and_not_reapplied(graph: Graph) -> None:
    # The session fixture applied them already: nothing is left to do.
    assert apply_migrations(graph) == []
    names = {r["name"] for r in graph.read("db/applied_migrations")}
    assert names == {f.name for f in migration_files(graph.settings.cypher_dir)}


def test_constraints_enforce_unique_keys(graph: Graph) -> None:
    rows = graph.run_text("SHOW CONSTRAINTS YIELD labelsOrTypes, properties, type "
                          "RETURN labelsOrTypes[0] AS label, properties[0] AS key, type")
    unique = {(r["label"], r["key"]) for r in rows if r["type"] == "UNIQUENESS"}
    assert ("Account", "account_id") in unique
    assert ("IP", "address") in unique
    graph.run_text("CREATE (:Account {account_id: 'a'})")
    with pytest.raises(ConstraintError):
        graph.run_text("CREATE (:Account {account_id: 'a'})")
    count = graph.run_text("MATCH (a:Account) RETURN count(a) AS c")[0]["c"]
    assert count == 1
