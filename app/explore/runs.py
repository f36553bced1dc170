"""Detection runs as the pages show them."""

from __future__ import annotations

from typing import Any

from app.db.graph import Graph
from app.memo import memoised
from app.paging import parse_json


def latest_run(graph: Graph) -> dict[str, Any] | None:
    """The latest complete detection run, with its counts and changes parsed."""
    runs = graph.read("explore/runs", limit=1)
    return _run_of(runs[0]) if runs else None


def latest_run_id(graph: Graph) -> str | None:
    run = latest_run(graph)
    return None if run is None else str(run["run_id"])


def get_run(graph: Graph, run_id: str | None) -> dict[str, Any] | None:
    """A complete detection run by id (None for no id, or a run not complete)."""
    return None if run_id is None else _complete_run(graph, run_id)


# A complete run's row never changes (run ids are unique): kept per process.
@memoised(16, copy=dict)
def _complete_run(graph: Graph, run_id: str) -> dict[str, Any] | None:
    rows = graph.read("explore/run", run_id=run_id)
    return _run_of(rows[0]) if rows else None


def _run_of(row: dict[str, Any]) -> dict[str, Any]:
    run = dict(row)
    for key in ("counts", "changes", "population"):
        run[key] = parse_json(run.get(key), {})
    return run
