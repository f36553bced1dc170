"""Run a saved or ad-hoc query through the guard, bounded and audited.

The web pages, the JSON API and the CLI all call `run_query`: one guard,
one timeout, one row and size cap, one audit event per run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from neo4j.exceptions import ClientError, DriverError, Neo4jError

from app.audit import record
from app.db import readonly
from app.db.graph import Graph
from app.explore import privacy_of
from app.queries.guard import QueryFailed, QueryRefused, QueryTimeout, check_plan, check_text
from app.queries.library import QueryDef
from app.queries.limits import QueryLimits, current_limits
from app.queries.params import ParamError, infer_value, parse_values
from app.queries.results import GraphData, Masks, graph_of, plain_size, strings_in, to_plain

ADHOC = "ad-hoc"
# Strings longer than this are no payment token or domain: not looked up.
_MASK_CANDIDATE_LENGTH = 256
_TIMEOUT_CODES = ("TransactionTimedOut", "Transaction.Terminated", "TransactionTimedOutClient")


@dataclass
class QueryResult:
    """Rows of one run and how the run went."""

    target: str
    columns: list[str]
    records: list[list[Any]]
    seconds: float
    limits: QueryLimits
    stopped: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    # Values shown masked (see `masked`); empty for the CLI, which shows all.
    masks: Masks = field(default_factory=dict)

    @property
    def truncated(self) -> bool:
        return bool(self.stopped)

    def graph(self) -> GraphData:
        return graph_of(self.records, self.masks)

    def rows(self) -> list[dict[str, Any]]:
        """Rows as JSON-safe dicts."""
        return [dict(zip(self.columns, to_plain(r, self.masks), strict=False))
                for r in self.records]

    def as_dict(self) -> dict[str, Any]:
        return {"query": self.target, "columns": self.columns, "rows": self.rows(),
                "row_count": len(self.records), "truncated": self.truncated,
                "stopped_at": self.stopped or None, "seconds": round(self.seconds, 3),
                "parameters": self.params, "limits": self.limits.as_dict()}

    def stop_message(self) -> str:
        if self.stopped == "rows":
            return f"Only the first {self.limits.max_rows:,} rows are shown (the row cap)."
        if self.stopped == "bytes":
            return (f"Stopped at {self.limits.max_bytes:,} bytes of results (the size cap); "
                    f"{len(self.records):,} rows are shown.")
        return ""


def params_for(query: QueryDef | None, raw: dict[str, str]) -> dict[str, Any]:
    """Parameter values: by declared type for a saved query, inferred for ad-hoc Cypher."""
    if query is not None:
        return parse_values(list(query.params), raw)
    return {key: infer_value(value) for key, value in raw.items()}


def check_query(graph: Graph, query: QueryDef) -> None:
    """The guard without a run: QueryRefused (or QueryFailed) for a query that would
    be refused, so a write is not saved only to be refused later."""
    statement = check_text(query.body)
    values = {p.name: (p.parse(None) if not p.required else None) for p in query.params}
    plan = _explain(graph, statement, values)
    check_plan(plan.query_type, plan.plan)


def run_saved_query(graph: Graph, query: QueryDef, raw: dict[str, str], *, actor: str,
                    source: str = "") -> QueryResult:
    """Parse raw parameter text by the query's declared types and run it; a bad value
    is recorded and raised as ParamError (its message names every problem)."""
    try:
        values = params_for(query, raw)
    except ParamError as exc:
        details: dict[str, Any] = {"parameters": raw, "rows": 0, "message": str(exc)}
        if query.name == ADHOC:
            details["cypher"] = query.body[:4000]
        record(graph, actor, "query.run", target=query.name, source=source, outcome="error",
               details=details)
        raise
    return run_query(graph, query.body, values, actor=actor, source=source, target=query.name)


def run_query(graph: Graph, cypher: str, params: dict[str, Any], *, actor: str,
              source: str = "", target: str = ADHOC,
              limits: QueryLimits | None = None) -> QueryResult:
    """Check, run and record one query; QueryRefused, QueryTimeout or QueryFailed
    (each with a message for the user) when it does not run to the end."""
    limits = limits or current_limits(graph)
    began = time.monotonic()
    details: dict[str, Any] = {"parameters": params, "timeout_seconds": limits.timeout_seconds,
                               "max_rows": limits.max_rows}
    if target == ADHOC:
        details["cypher"] = cypher[:4000]
    try:
        statement = check_text(cypher)
        with _slot(graph, limits):
            plan = _explain(graph, statement, params)
            check_plan(plan.query_type, plan.plan)
            rows = _run(graph, statement, params, limits)
    except (QueryRefused, QueryTimeout, QueryFailed, ParamError) as exc:
        outcome = {QueryRefused: "refused", QueryTimeout: "timeout"}.get(type(exc), "error")
        details.update(duration_ms=_ms(began), rows=0, message=str(exc))
        record(graph, actor, "query.run", target=target, source=source, outcome=outcome,
               details=details)
        raise
    result = QueryResult(target=target, columns=rows.keys, records=rows.records,
                         seconds=time.monotonic() - began, limits=limits,
                         stopped=rows.stopped, params=params)
    details.update(duration_ms=_ms(began), rows=len(rows.records), truncated=result.truncated)
    record(graph, actor, "query.run", target=target, source=source, outcome="ok",
           details=details)
    return result


_SLOTS: dict[int, threading.BoundedSemaphore] = {}
_SLOTS_LOCK = threading.Lock()


@contextmanager
def _slot(graph: Graph, limits: QueryLimits) -> Iterator[None]:
    """One of the process's `query_slots`, waited for up to the query's timeout."""
    size = graph.settings.query_slots
    with _SLOTS_LOCK:
        slots = _SLOTS.setdefault(size, threading.BoundedSemaphore(size))
    if not slots.acquire(timeout=limits.timeout_seconds):
        raise QueryFailed(f"the graph is busy with {size} other queries; try again in a "
                          "moment")
    try:
        yield
    finally:
        slots.release()


def _ms(began: float) -> int:
    return int((time.monotonic() - began) * 1000)


def _explain(graph: Graph, statement: str, params: dict[str, Any]) -> readonly.Plan:
    try:
        return readonly.explain(graph, statement, params)
    except ClientError as exc:
        if exc.code and "Procedure" in exc.code:
            raise QueryRefused(f"refused: {exc.message}") from None
        if exc.code and ("Security" in exc.code or "AccessMode" in exc.code):
            raise QueryRefused(f"refused: {exc.message}") from None
        raise QueryFailed(f"Neo4j cannot run this query: {exc.message}") from None
    except (Neo4jError, DriverError) as exc:
        raise QueryFailed(f"Neo4j cannot plan this query: {exc}") from None


def _run(graph: Graph, statement: str, params: dict[str, Any],
         limits: QueryLimits) -> readonly.Rows:
    try:
        return readonly.run_bounded(graph, statement, params, timeout=limits.timeout_seconds,
                                    max_rows=limits.max_rows, max_bytes=limits.max_bytes,
                                    size_of=plain_size)
    except Neo4jError as exc:
        code = exc.code or ""
        if any(part in code for part in _TIMEOUT_CODES):
            raise QueryTimeout(f"stopped after the {limits.timeout_seconds:g} s timeout: "
                               "narrow the query (a label, a property match, a LIMIT "
                               "earlier) or ask an admin for a longer timeout") from None
        if "AccessMode" in code or "Security" in code:
            raise QueryRefused(f"refused: {exc.message}") from None
        raise QueryFailed(f"the query failed: {exc.message}") from None
    except DriverError as exc:
        raise QueryFailed(f"the query failed: {exc}") from None


def masked(graph: Graph, result: QueryResult) -> QueryResult:
    """The result with payment tokens and personal e-mail domains shown masked.

    Masking goes by value, wherever a value sits (a node, a property, a bare
    column), so no way of writing a query shows one unmasked in the web app
    or the API.
    """
    values = sorted({v for v in strings_in(result.records)
                     if 0 < len(v) <= _MASK_CANDIDATE_LENGTH})
    if not values:
        return result
    privacy = privacy_of(graph)
    masks = {}
    for row in graph.read("explore/masked_values", values=values):
        kind = "payment" if row["payment"] else "email domain"
        value = privacy.mask(kind, row["value"], None if row["payment"] else row["accounts"])
        if value is not row["value"]:
            masks[row["value"]] = value
    result.masks = masks
    return result
