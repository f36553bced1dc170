"""The query guard: what a saved or ad-hoc query may do, checked before it runs.

Two checks, both pure: `check_text` reads the statement itself (one statement,
no LOAD CSV, no administration command, only allowed procedures), and
`check_plan` reads Neo4j's plan of it (EXPLAIN): the query type must be read
('r') and no operator may write, touch the schema, read files, run in its own
transactions or call a procedure outside the allow-list. The run itself then
happens in a READ transaction that is rolled back (app.db.readonly).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from app.db.cypher import split_statements
from app.errors import HydrascopeError
from app.queries.library import strip_comments_and_strings

# Read-only procedures that describe the graph; nothing else may be called.
ALLOWED_PROCEDURES = frozenset({
    "db.labels", "db.relationshiptypes", "db.propertykeys", "db.schema.visualization",
    "db.schema.nodetypeproperties", "db.schema.reltypeproperties",
})
MAX_TEXT = 20_000
_ADMIN_START = re.compile(
    r"^\s*(SHOW|GRANT|DENY|REVOKE|START|STOP|TERMINATE|ENABLE|DRY\s+RUN|"
    r"(CREATE|DROP|ALTER|RENAME)\s+(OR\s+REPLACE\s+)?(USER|ROLE|DATABASE|COMPOSITE|ALIAS|"
    r"SERVER|INDEX|CONSTRAINT|RANGE|TEXT|POINT|LOOKUP|FULLTEXT|VECTOR|BTREE|"
    r"PRIVILEGE|IF))\b", re.I)
_LOAD_CSV = re.compile(r"\bLOAD\s+CSV\b", re.I)
_PERIODIC = re.compile(r"\bPERIODIC\s+COMMIT\b", re.I)
_IN_TRANSACTIONS = re.compile(r"\bIN\s+(\d+\s+)?(CONCURRENT\s+)?TRANSACTIONS\b", re.I)
_USE = re.compile(r"^\s*USE\b", re.I)
_EXPLAIN = re.compile(r"^\s*(EXPLAIN|PROFILE)\b", re.I)
_CALL_PROCEDURE = re.compile(r"\bCALL\s+(?![{(])(`?[A-Za-z_][\w.`]*)", re.I)
WRITE_OPERATORS = frozenset({
    "Create", "Merge", "Delete", "DetachDelete", "DeleteNode", "DeleteRelationship",
    "DetachDeleteNode", "DeleteExpression", "DetachDeleteExpression", "DeletePath",
    "DetachDeletePath", "SetProperty", "SetProperties", "SetNodeProperty",
    "SetNodeProperties", "SetNodePropertiesFromMap", "SetRelationshipProperty",
    "SetRelationshipProperties", "SetRelationshipPropertiesFromMap", "SetPropertiesFromMap",
    "SetLabels", "RemoveLabels", "Foreach", "LockingMerge",
})


class QueryRefused(HydrascopeError):
    """The guard refuses the statement; the message says why in plain words."""


class QueryTimeout(HydrascopeError):
    """The statement ran longer than the timeout and was stopped."""


class QueryFailed(HydrascopeError):
    """Neo4j could not run the statement (a syntax or runtime error)."""


def check_text(text: str) -> str:
    """The one statement to run (without a trailing ';'), or QueryRefused."""
    if len(text) > MAX_TEXT:
        raise QueryRefused(f"refused: a query may have at most {MAX_TEXT:,} characters")
    statements = split_statements(text)
    if not statements:
        raise QueryRefused("refused: there is no Cypher to run")
    if len(statements) > 1:
        raise QueryRefused("refused: one statement at a time (this text holds "
                           f"{len(statements)}, separated by ';')")
    statement = statements[0]
    code = strip_comments_and_strings(statement)
    if _LOAD_CSV.search(code):
        raise QueryRefused("refused: LOAD CSV reads files and URLs; queries may only read "
                           "the graph")
    if _PERIODIC.search(code) or _IN_TRANSACTIONS.search(code):
        raise QueryRefused("refused: CALL { } IN TRANSACTIONS and PERIODIC COMMIT are for "
                           "bulk writes; queries are read-only")
    if _EXPLAIN.search(code):
        raise QueryRefused("refused: write the query without EXPLAIN or PROFILE; the guard "
                           "plans every query itself")
    if _USE.search(code):
        raise QueryRefused("refused: USE switches database; queries run on the "
                           "investigation graph only")
    if _ADMIN_START.search(code):
        raise QueryRefused("refused: schema and administration commands (SHOW, CREATE "
                           "INDEX, users, roles, databases) are not allowed here")
    for name in _CALL_PROCEDURE.findall(code):
        _check_procedure(name.replace("`", ""))
    return statement


def _check_procedure(name: str) -> None:
    if name.lower() not in ALLOWED_PROCEDURES:
        allowed = ", ".join(sorted(_display(p) for p in ALLOWED_PROCEDURES))
        raise QueryRefused(f"refused: the procedure {name} is not allowed; allowed are "
                           f"{allowed}")


def _display(name: str) -> str:
    fixes = {"relationshiptypes": "relationshipTypes", "propertykeys": "propertyKeys",
             "nodetypeproperties": "nodeTypeProperties",
             "reltypeproperties": "relTypeProperties"}
    return ".".join(fixes.get(part, part) for part in name.split("."))


def operators(plan: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(operator, database, details) for every operator of a plan tree."""
    kind = str(plan.get("operatorType", ""))
    name, _, database = kind.partition("@")
    args = plan.get("args") or plan.get("arguments") or {}
    yield name, database, str(args.get("Details", "") or "")
    for child in plan.get("children", []) or []:
        yield from operators(child)


def check_plan(query_type: str, plan: dict[str, Any]) -> None:
    """Refuse a plan that is not a pure read of the graph."""
    writes: set[str] = set()
    for name, database, details in operators(plan):
        if database == "system" or name == "AdministrationCommand":
            raise QueryRefused("refused: administration commands are not allowed here")
        if name == "LoadCSV":
            raise QueryRefused("refused: LOAD CSV reads files and URLs; queries may only "
                               "read the graph")
        if name in ("TransactionForeach", "TransactionApply"):
            raise QueryRefused("refused: CALL { } IN TRANSACTIONS is for bulk writes; "
                               "queries are read-only")
        if name == "ProcedureCall":
            _check_procedure(details.split("(", 1)[0].strip())
        if name.startswith(("Show", "Create", "Drop", "Alter", "DoNothingIfExists",
                            "Terminate")) and name not in WRITE_OPERATORS:
            raise QueryRefused("refused: schema and administration commands are not "
                               "allowed here")
        if name in WRITE_OPERATORS:
            writes.add(name)
    if writes or query_type != "r":
        found = f" ({', '.join(sorted(writes))})" if writes else ""
        raise QueryRefused(f"refused: this query would change the graph{found}; saved and "
                           "ad-hoc queries are read-only")
