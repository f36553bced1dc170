"""Statements given as text, run read-only: the plan of one, and a bounded run of one.

Only the query guard (app/queries) uses this: everything else runs named files
through Graph. Every transaction here is opened in READ access mode and rolled
back at the end, so even a statement that slipped past the guard could not
commit anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.db.graph import Graph


@dataclass
class Plan:
    """What Neo4j says it would do: the query type ('r', 'rw', 'w', 's') and the plan tree."""

    query_type: str
    plan: dict[str, Any]


@dataclass
class Rows:
    """Records read from a run, and why reading stopped early (empty when it did not)."""

    keys: list[str]
    records: list[list[Any]]
    stopped: str = ""


def explain(graph: Graph, text: str, params: dict[str, Any]) -> Plan:
    """The plan of `text` without running it (EXPLAIN, READ session, rolled back)."""
    with graph.session(default_access_mode="READ") as session:
        tx = session.begin_transaction(timeout=30)
        try:
            summary = tx.run("EXPLAIN " + text, params).consume()
        finally:
            tx.close()
    return Plan(query_type=str(summary.query_type or ""), plan=dict(summary.plan or {}))


def run_bounded(graph: Graph, text: str, params: dict[str, Any], *, timeout: float,
                max_rows: int, max_bytes: int, size_of: Callable[[list[Any]], int]) -> Rows:
    """Run `text` in a READ transaction with a server-side timeout; read at most
    `max_rows` records or `max_bytes` (as `size_of` counts them), then roll back."""
    with graph.session(default_access_mode="READ") as session:
        tx = session.begin_transaction(timeout=timeout)
        try:
            result = tx.run(text, params)
            keys = list(result.keys())
            records: list[list[Any]] = []
            used = 0
            stopped = ""
            for record in result:
                if len(records) >= max_rows:
                    stopped = "rows"
                    break
                values = list(record.values())
                used += size_of(values)
                if used > max_bytes:
                    stopped = "bytes"
                    break
                records.append(values)
            return Rows(keys=keys, records=records, stopped=stopped)
        finally:
            # Closing an uncommitted transaction rolls it back: nothing a guarded
            # query does is ever committed.
            tx.close()
