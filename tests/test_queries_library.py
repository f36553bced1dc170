"""The built-in query library under cypher/queries/ and the parts that need no database:
headers, parameters, the schema every query reads, bounds, and the guard's text and
plan checks."""

from __future__ import annotations

import re

import pytest

from app.config import PROJECT_ROOT
from app.queries.guard import QueryRefused, check_plan, check_text
from app.queries.library import (
    QueryFileError,
    format_query_file,
    load_library,
    parse_query_file,
    strip_comments_and_strings,
    used_parameters,
)
from app.queries.params import Param, ParamError, parse_pairs, parse_values

CYPHER = PROJECT_ROOT / "cypher"
LIBRARY = load_library(CYPHER)
# Where the schema of the evidence graph and detection output is written: the
# migrations, and the statements that create nodes and relationships.
SCHEMA_SOURCES = ("schema", "ingest", "detect")
AGGREGATES = re.compile(r"^(count|sum|avg|min|max|collect|stdev|stdevp|percentilecont|"
                        r"percentiledisc)\s*\(", re.I)


def labels_and_types(text: str) -> tuple[set[str], set[str]]:
    """Node labels and relationship types a Cypher text names."""
    code = strip_comments_and_strings(text)
    types: set[str] = set()
    for match in re.finditer(r"\[\s*\w*\s*:\s*([A-Za-z_]\w*(?:\s*\|\s*:?\s*[A-Za-z_]\w*)*)",
                             code):
        types |= {t.strip(" :") for t in match[1].split("|")}
    without_rels = re.sub(r"\[[^\[\]]*\]", "[]", code)
    labels: set[str] = set()
    for match in re.finditer(r"(?:\(|\b[a-z_]\w*)\s*:\s*([A-Z]\w*(?:\s*[|&:]\s*[A-Z]\w*)*)",
                             without_rels):
        labels |= {x.strip() for x in re.split(r"[|&:]", match[1]) if x.strip()}
    return labels, types


def known_schema() -> tuple[set[str], set[str]]:
    labels: set[str] = set()
    types: set[str] = set()
    for folder in SCHEMA_SOURCES:
        for path in (CYPHER / folder).glob("*.cypher"):
            found = labels_and_types(path.read_text())
            labels |= found[0]
            types |= found[1]
    return labels, types


def test_the_library_has_at_least_fifteen_queries_with_unique_names_and_titles() -> None:
    assert len(LIBRARY) >= 15
    assert len({q.name for q in LIBRARY}) == len(LIBRARY)
    assert len({q.title for q in LIBRARY}) == len(LIBRARY)
    for query in LIBRARY:
        assert query.description and query.category, query.name


@pytest.mark.parametrize("query", LIBRARY, ids=lambda q: q.name)
def test_declared_parameters_match_the_ones_used(query: object) -> None:
    declared = {p.name for p in query.params}  # type: ignore[attr-defined]
    assert declared == used_parameters(query.body)  # type: ignore[attr-defined]


@pytest.mark.parametrize("query", LIBRARY, ids=lambda q: q.name)
def test_every_label_and_type_exists_in_the_schema(query: object) -> None:
    known_labels, known_types = known_schema()
    labels, types = labels_and_types(query.body)  # type: ignore[attr-defined]
    assert labels <= known_labels, labels - known_labels
    assert types <= known_types, types - known_types


@pytest.mark.parametrize("query", LIBRARY, ids=lambda q: q.name)
def test_every_query_is_bounded(query: object) -> None:
    code = strip_comments_and_strings(query.body)  # type: ignore[attr-defined]
    tail = re.split(r"\bRETURN\b", code, flags=re.I)[-1]
    if re.search(r"\bLIMIT\s+(\$\w+|\d+)\s*;?\s*$", tail, re.I):
        return
    items = [i.strip() for i in tail.split(",")]
    assert all(AGGREGATES.match(i) for i in items), "no LIMIT and not aggregate-only"


@pytest.mark.parametrize("query", LIBRARY, ids=lambda q: q.name)
def test_every_library_query_passes_the_text_guard_and_defaults_parse(query: object) -> None:
    check_text(query.body)  # type: ignore[attr-defined]
    for param in query.params:  # type: ignore[attr-defined]
        if not param.required:
            param.parse(None)


def test_header_round_trips() -> None:
    for query in LIBRARY:
        again = parse_query_file(format_query_file(query), query.name)
        assert again == query


def test_the_schema_scan_finds_the_evidence_graph() -> None:
    labels, types = known_schema()
    assert {"Account", "IP", "ASN", "Network", "DetectionRun", "Prefix"} <= labels
    assert {"USED_IP", "MEMBER_OF", "PAID_WITH", "CONTINUES", "IN_PREFIX"} <= types
    assert labels_and_types("MATCH (a:Account)-[:X|Y*..3]-(b) WHERE b:IP RETURN a") == (
        {"Account", "IP"}, {"X", "Y"})


@pytest.mark.parametrize("text, problem", [
    ("MATCH (n) RETURN n", "title"),
    ("// title: T\n", "no Cypher"),
    ("// title: T\n// param: x nosuchtype\nRETURN $x", "unknown type"),
    ("// title: T\n// param: run int = 1\nRETURN $run", "not allowed"),
    ("// title: T\n// param: x int = abc\nRETURN $x", "whole number"),
    ("// title: T\n// param: x int\n// param: x int\nRETURN $x", "twice"),
])
def test_bad_headers_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises((QueryFileError, ParamError), match=problem):
        parse_query_file(text, "q")


def test_parameters_parse_by_type_and_report_every_problem() -> None:
    params = [Param("n", "int", "5", minimum=1, maximum=10), Param("x", "float", "0.5"),
              Param("flag", "bool", "false"), Param("names", "list", ""),
              Param("who", "account"), Param("since", "date", "2026-01-01")]
    values = parse_values(params, {"n": "7", "flag": "yes", "names": "a, b,,c",
                                   "who": "u123"})
    assert values == {"n": 7, "x": 0.5, "flag": True, "names": ["a", "b", "c"],
                      "who": "u123", "since": "2026-01-01"}
    with pytest.raises(ParamError) as problem:
        parse_values(params, {"n": "11", "x": "nan", "flag": "maybe", "who": "x y",
                              "since": "yesterday", "extra": "1"})
    message = str(problem.value)
    for part in ("n: at most 10", "x: expected a finite number", "flag: expected true",
                 "who:", "since: expected a date", "unknown parameter: extra"):
        assert part in message
    with pytest.raises(ParamError, match="required"):
        parse_values(params, {})
    assert parse_pairs(["a=1", "b = x=y"]) == {"a": "1", "b": "x=y"}
    with pytest.raises(ParamError):
        parse_pairs(["novalue"])


REFUSED_TEXT = [
    "RETURN 1; CREATE (n)",
    "LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l",
    "load csv with headers from 'http://x' as l return l",
    "USING PERIODIC COMMIT LOAD CSV FROM 'x' AS l CREATE (n)",
    "UNWIND [1] AS x CALL { CREATE (n) } IN TRANSACTIONS RETURN 1",
    "CALL dbms.security.createUser('a', 'b', false)",
    "CALL apoc.cypher.runWrite('CREATE (n)', {})",
    "call APOC.periodic.iterate('a','b',{})",
    "CALL `apoc`.help('x')",
    "CALL db.create.setNodeVectorProperty(null, 'x', [1.0])",
    "SHOW USERS",
    "show databases",
    "CREATE INDEX x FOR (n:Account) ON (n.plan)",
    "DROP CONSTRAINT account_id",
    "CREATE USER eve SET PASSWORD 'x'",
    "GRANT ROLE admin TO eve",
    "USE system SHOW USERS",
    "PROFILE MATCH (n) DETACH DELETE n",
    "explain CREATE (n)",
    "// only a comment",
    "",
]


@pytest.mark.parametrize("text", REFUSED_TEXT)
def test_the_text_guard_refuses(text: str) -> None:
    with pytest.raises(QueryRefused, match="refused"):
        check_text(text)


@pytest.mark.parametrize("text", [
    "MATCH (n:Account) WHERE n.note = 'LOAD CSV; CREATE (x)' RETURN n LIMIT 1",
    "// CREATE INDEX in a comment\nMATCH (n) RETURN count(n)",
    "CALL db.labels() YIELD label RETURN label",
    "MATCH (n) CALL (n) { RETURN 1 AS one } RETURN one LIMIT 1",
    "RETURN 1;",
])
def test_the_text_guard_lets_reads_through(text: str) -> None:
    check_text(text)


def _plan(*operators: str, details: str = "") -> dict[str, object]:
    plan: dict[str, object] = {"operatorType": f"{operators[-1]}@neo4j",
                               "args": {"Details": details}}
    for name in reversed(operators[:-1]):
        plan = {"operatorType": f"{name}@neo4j", "args": {}, "children": [plan]}
    return plan


@pytest.mark.parametrize("query_type, plan, problem", [
    ("w", _plan("ProduceResults", "EmptyResult", "DetachDelete", "AllNodesScan"), "change"),
    ("rw", _plan("ProduceResults", "SubqueryForeach", "SetProperty"), "SetProperty"),
    ("r", _plan("ProduceResults", "LoadCSV"), "LOAD CSV"),
    ("r", _plan("ProduceResults", "ShowIndexes"), "schema"),
    ("s", _plan("CreateIndex"), "schema"),
    ("s", {"operatorType": "AdministrationCommand@system"}, "administration"),
    ("r", _plan("ProduceResults", "ProcedureCall", details="dbms.listConfig() :: (x)"),
     "dbms.listConfig"),
    ("rw", _plan("ProduceResults", "TransactionForeach", "Create"), "IN TRANSACTIONS"),
])
def test_the_plan_guard_refuses(query_type: str, plan: dict[str, object],
                                problem: str) -> None:
    with pytest.raises(QueryRefused, match=problem):
        check_plan(query_type, plan)


def test_the_plan_guard_lets_reads_and_allowed_procedures_through() -> None:
    check_plan("r", _plan("ProduceResults", "Limit", "NodeByLabelScan"))
    check_plan("r", _plan("ProduceResults", "ProcedureCall",
                          details="db.schema.visualization() :: (nodes :: LIST<NODE>)"))


def test_library_files_are_where_the_design_says() -> None:
    assert all((CYPHER / "queries" / f"{q.name}.cypher").is_file() for q in LIBRARY)
