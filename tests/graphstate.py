"""A comparable picture of the whole evidence graph, for idempotence and format tests."""

from __future__ import annotations

from typing import Any

from app.db.graph import Graph

LOAD_LABELS = ("Account", "Session", "IP", "ASN", "Device", "Payment", "EmailDomain", "Org",
               "PromptTemplate", "ApiKey", "UserAgent", "Prefix")


def _plain(value: Any) -> Any:
    if hasattr(value, "iso_format"):
        return value.iso_format()
    return value


# Which load last changed an account, and when: differs between two loads of the
# same files (tests of the mark itself read it directly).
LOAD_MARKS = ("last_load", "loaded_at")


def _props(props: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, repr(_plain(v))) for k, v in props.items() if k not in LOAD_MARKS))


def snapshot(graph: Graph) -> dict[str, Any]:
    nodes = graph.run_text(
        "MATCH (n) WHERE NOT n:SchemaMigration AND NOT n:Load "
        "RETURN labels(n)[0] AS label, properties(n) AS props")
    rels = graph.run_text(
        "MATCH (a)-[r]->(b) WHERE NOT a:Load "
        "RETURN type(r) AS type, properties(a) AS a, properties(r) AS props, "
        "properties(b) AS b")
    node_set = sorted((row["label"], _props(row["props"])) for row in nodes)
    rel_set = sorted((row["type"], _props(row["a"]), _props(row["props"]), _props(row["b"]))
                     for row in rels)
    return {"nodes": node_set, "rels": rel_set}


def counts(graph: Graph) -> dict[str, int]:
    rows = graph.run_text("MATCH (n) WHERE NOT n:SchemaMigration AND NOT n:Load "
                          "RETURN labels(n)[0] AS label, count(*) AS c")
    found = {r["label"]: r["c"] for r in rows}
    rels = graph.run_text("MATCH ()-[r]->() RETURN type(r) AS t, count(*) AS c")
    found.update({f"-{r['t']}-": r["c"] for r in rels})
    return found


def schema(graph: Graph) -> list[tuple[Any, ...]]:
    """Every index (constraints own one each) with what it covers and its state."""
    rows = graph.run_text(
        "SHOW INDEXES YIELD name, type, labelsOrTypes, properties, owningConstraint, state "
        "RETURN name, type, labelsOrTypes, properties, owningConstraint, state")
    return sorted((r["name"], r["type"], tuple(r["labelsOrTypes"] or ()),
                   tuple(r["properties"] or ()), r["owningConstraint"], r["state"])
                  for r in rows)


def shape(graph: Graph) -> tuple[dict[str, set[str]], set[tuple[str, str, str]]]:
    """The labels with the properties every node of the label has, and each
    (start label, relationship type, end label) present."""
    labels = graph.run_text(
        "MATCH (n) WHERE NOT n:SchemaMigration AND NOT n:Load "
        "WITH labels(n)[0] AS label, keys(n) AS props "
        "RETURN label, collect(props) AS props")
    rels = graph.run_text(
        "MATCH (a)-[r]->(b) WHERE NOT a:Load "
        "RETURN DISTINCT labels(a)[0] AS start, type(r) AS type, labels(b)[0] AS end")
    common = {row["label"]: set.intersection(*(set(p) for p in row["props"]))
              for row in labels}
    return common, {(r["start"], r["type"], r["end"]) for r in rels}
