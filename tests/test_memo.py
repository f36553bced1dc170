"""The per-process memo of reads whose answer never changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.memo import Memo, memoised


@dataclass
class Named:
    """What the memo reads of a graph: its database name (the reads here run no query)."""

    database: str


def test_a_kept_read_runs_once_per_database_and_arguments() -> None:
    calls: list[tuple[str, str]] = []

    @memoised(8)
    def read(graph: Any, key: str) -> dict[str, str]:
        calls.append((graph.database, key))
        return {"key": key}

    one, other = Named("neo4j"), Named("other")
    assert read(one, "a") is read(one, "a")
    read(other, "a")
    read(one, "b")
    assert calls == [("neo4j", "a"), ("other", "a"), ("neo4j", "b")]


def test_none_and_refused_values_are_read_again_and_copies_are_fresh() -> None:
    calls = {"n": 0}

    @memoised(8, keep=lambda found: found["complete"], copy=dict)
    def read(graph: Any, key: str) -> dict[str, Any] | None:
        calls["n"] += 1
        return None if key == "missing" else {"key": key, "complete": key != "open"}

    graph = Named("neo4j")
    assert read(graph, "missing") is None and read(graph, "missing") is None
    assert calls["n"] == 2
    read(graph, "open")
    read(graph, "open")
    assert calls["n"] == 4  # a value `keep` refuses is not kept
    first = read(graph, "done")
    first["key"] = "changed"  # a caller's change stays in its copy
    assert read(graph, "done") == {"key": "done", "complete": True}
    assert calls["n"] == 5


def test_the_oldest_value_goes_first_when_full() -> None:
    memo: Memo[int] = Memo(2)
    for n in range(3):
        memo.put(n, n)
    assert memo.get(0) is None and memo.get(1) == 1 and memo.get(2) == 2
