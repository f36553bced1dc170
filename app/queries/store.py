"""Analysts' own queries in Neo4j (`:SavedQuery`, earlier versions kept), and
finding any query, built-in or own, by name."""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from app.auth.users import User
from app.db.graph import Graph
from app.errors import HydrascopeError
from app.queries.guard import check_text
from app.queries.library import (
    QueryDef,
    UnknownQuery,
    format_param,
    library_query,
    load_library,
    parse_param,
    parse_query_file,
    used_parameters,
)
from app.queries.params import NAME, Param, ParamError
from app.queries.runner import ADHOC, check_query

SAVED_ID = re.compile(r"^q-[0-9a-f]{10}$")
MAX_TITLE = 200
MAX_DESCRIPTION = 2000


class SavedQueryError(HydrascopeError):
    """An own query that cannot be saved, changed or seen as asked."""


def is_saved_id(name: str) -> bool:
    return bool(SAVED_ID.match(name))


def _from_row(row: dict[str, Any]) -> QueryDef:
    params = tuple(parse_param(spec) for spec in json.loads(row["params"] or "[]"))
    return QueryDef(name=row["query_id"], title=row["title"],
                    description=row["description"] or "", category=row["category"] or "Own",
                    params=params, body=row["body"], source="saved",
                    query_id=row["query_id"], owner=row["owner"], shared=bool(row["shared"]),
                    version=int(row["version"] or 1),
                    extra={"updated_at": row.get("updated_at") or ""})


def list_queries(graph: Graph, user: User | None) -> list[QueryDef]:
    """The library, then (for analysts) the own queries this user may see."""
    queries = list(load_library(graph.settings.cypher_dir))
    if user is not None and user.can("analyst"):
        rows = graph.read("query_store/list_saved", username=user.username)
        queries += [_from_row(r) for r in rows]
    return queries


def list_shared(graph: Graph) -> list[QueryDef]:
    """The library and every shared own query (the CLI's view: no signed-in user)."""
    rows = graph.read("query_store/list_saved", username="")
    return list(load_library(graph.settings.cypher_dir)) + [_from_row(r) for r in rows]


def get_query(graph: Graph, name: str, user: User | None) -> QueryDef:
    """A built-in query by name or an own query by id, if this user may see it
    (`user` None: shared ones only)."""
    if not is_saved_id(name):
        return library_query(graph.settings.cypher_dir, name)
    if user is not None and not user.can("analyst"):
        raise UnknownQuery(f"no saved query {name!r}")
    query, _ = get_saved(graph, name, user)
    return query


def get_saved(graph: Graph, query_id: str,
              user: User | None) -> tuple[QueryDef, list[dict[str, Any]]]:
    """An own query and its earlier versions (newest first)."""
    rows = graph.read("query_store/get_saved", query_id=query_id) if is_saved_id(query_id) \
        else []
    if not rows:
        raise UnknownQuery(f"no saved query {query_id!r}")
    query = _from_row(rows[0])
    if not query.shared and (user is None or user.username != query.owner):
        raise UnknownQuery(f"no saved query {query_id!r}")
    return query, list(rows[0]["versions"])


def build_query(title: str, description: str, category: str, params_text: str, body: str,
                shared: bool) -> QueryDef:
    """An own query from form fields, checked like a library file; SavedQueryError
    says what is wrong."""
    # One line each: a line break would end the `//` header of the exported file
    # and turn the rest of the title into Cypher for whoever runs that file.
    title = " ".join(title.split())
    category = " ".join(category.split())
    if not title or len(title) > MAX_TITLE:
        raise SavedQueryError(f"a title is 1 to {MAX_TITLE} characters")
    if len(description) > MAX_DESCRIPTION:
        raise SavedQueryError(f"a description is at most {MAX_DESCRIPTION} characters")
    try:
        params = tuple(parse_param(line) for line in params_text.splitlines() if line.strip())
    except HydrascopeError as exc:
        raise SavedQueryError(str(exc)) from None
    query = QueryDef(name="", title=title, description=" ".join(description.split()),
                     category=category[:60] or "Own", params=params,
                     body=body.strip(), source="saved", shared=shared)
    check_own(query)
    return query


def check_own(query: QueryDef) -> None:
    """What a saved query must satisfy: one guarded statement, parameters declared."""
    check_text(query.body)
    declared = {p.name for p in query.params}
    used = used_parameters(query.body)
    if used - declared:
        raise SavedQueryError("declare every parameter the Cypher uses: "
                              + ", ".join(sorted(used - declared)))
    if declared - used:
        raise SavedQueryError("these declared parameters are not used: "
                              + ", ".join(sorted(declared - used)))


def _props(query: QueryDef, user: User) -> dict[str, Any]:
    return {"title": query.title, "description": query.description,
            "category": query.category, "body": query.body, "shared": query.shared,
            "params": json.dumps([format_param(p) for p in query.params]),
            "updated_by": user.username}


def save_new(graph: Graph, user: User, query: QueryDef) -> str:
    """Store a new own query (refused, like a run, when it would write); its id."""
    check_query(graph, query)
    query_id = "q-" + secrets.token_hex(5)
    graph.write("query_store/create_saved", query_id=query_id, owner=user.username,
                props=_props(query, user))
    return query_id


def _own(graph: Graph, user: User, query_id: str) -> QueryDef:
    query, _ = get_saved(graph, query_id, user)
    if query.owner != user.username and not user.can("admin"):
        raise SavedQueryError(f"only {query.owner} (or an admin) may change this query")
    return query


def update(graph: Graph, user: User, query_id: str, query: QueryDef) -> int:
    """A new version of an own query (the earlier one is kept); the new version number."""
    _own(graph, user, query_id)
    check_query(graph, query)
    rows = graph.write("query_store/update_saved", query_id=query_id,
                       props=_props(query, user))
    return int(rows[0]["version"])


def delete(graph: Graph, user: User, query_id: str) -> None:
    """Delete an own query and its versions."""
    _own(graph, user, query_id)
    graph.write("query_store/delete_saved", query_id=query_id)


def import_file(graph: Graph, user: User, text: str, shared: bool) -> str:
    """Save a `.cypher` file with a header as a new own query; its id."""
    try:
        parsed = parse_query_file(text, "imported")
    except HydrascopeError as exc:
        raise SavedQueryError(f"cannot import: {exc}") from None
    query = QueryDef(name="", title=parsed.title, description=parsed.description,
                     category=parsed.category, params=parsed.params, body=parsed.body,
                     source="saved", shared=shared)
    check_own(query)
    return save_new(graph, user, query)


def editor_query(cypher: str, params_text: str) -> tuple[QueryDef, dict[str, str]]:
    """Ad-hoc Cypher from the editor as a query, with its parameter values.

    Each line of `params_text` is either a declaration (`name type = default`,
    as saved) or a value (`name=value`); a value for an undeclared name is
    typed by its look (whole number, number, true/false, else text).
    """
    declared: dict[str, Param] = {}
    raw: dict[str, str] = {}
    for line in params_text.splitlines():
        if not line.strip():
            continue
        left, sep, value = line.partition("=")
        if sep and NAME.match(left.strip()):
            raw[left.strip()] = value.strip()
            continue
        try:
            param = parse_param(line)
        except HydrascopeError as exc:
            raise ParamError(str(exc)) from None
        declared[param.name] = param
    for name, value in raw.items():
        if name not in declared:
            declared[name] = Param(name, _looks_like(value))
    query = QueryDef(name=ADHOC, title="Ad-hoc query", description="", category="Ad-hoc",
                     params=tuple(declared.values()), body=cypher, source="adhoc")
    return query, raw


def _looks_like(value: str) -> str:
    for kind in ("int", "float", "bool"):
        try:
            Param("x", kind).parse(value)
        except ParamError:
            continue
        return kind
    return "string"
