"""Read-side services for the investigator pages: runs, networks, accounts."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from app.db.graph import Graph

NETWORK_SORTS = ("score", "size", "tokens", "sessions", "growth", "new_heads")
MEMBER_SORTS = ("score", "sessions", "tokens", "created", "reasoning")


@dataclass
class Page:
    rows: list[dict[str, Any]]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _json(value: str | None, default: Any) -> Any:
    if not value:
        return default
    try:
        return json.loads(value)
    except ValueError:
        return default


def latest_run(graph: Graph) -> dict[str, Any] | None:
    """The latest complete detection run, with its counts and changes parsed."""
    runs = graph.read("explore/runs", limit=1)
    if not runs:
        return None
    run = dict(runs[0])
    for key in ("counts", "changes", "population"):
        run[key] = _json(run.get(key), {})
    return run


def list_networks(graph: Graph, run_id: str, *, suspected_only: bool, min_score: float,
                  min_size: int, sort: str, descending: bool, page: int,
                  per_page: int) -> Page:
    """Networks of a run, filtered, sorted and cut into pages."""
    rows = graph.read("explore/networks", run_id=run_id, suspected_only=suspected_only,
                      min_score=min_score, min_size=min_size)
    for row in rows:
        before = row["previous_size"]
        row["growth"] = None if before is None else row["size"] - before
    key = "growth" if sort == "growth" else sort
    rows.sort(key=lambda r: (r[key] if r[key] is not None else -math.inf, r["network_id"]),
              reverse=descending)
    start = (page - 1) * per_page
    return Page(rows[start:start + per_page], page, per_page, len(rows))


def get_network(graph: Graph, run_id: str, network_id: str) -> dict[str, Any] | None:
    rows = graph.read("explore/network", run_id=run_id, network_id=network_id)
    if not rows:
        return None
    network = dict(rows[0]["network"])
    network["features"] = sorted(_json(network.get("evidence"), []),
                                 key=lambda f: -f["contribution"])
    network["lineage"] = _json(network.get("lineage"), {})
    network["previous_size"] = rows[0]["previous_size"]
    network["previous_run"] = rows[0]["previous_run"]
    return network


def network_members(graph: Graph, run_id: str, network_id: str, *, sort: str,
                    descending: bool, page: int, per_page: int, total: int) -> Page:
    rows = graph.read("explore/network_members", run_id=run_id, network_id=network_id,
                      sort=sort, direction=1 if descending else -1,
                      skip=(page - 1) * per_page, limit=per_page)
    return Page(rows, page, per_page, total)


def get_account(graph: Graph, account_id: str) -> dict[str, Any] | None:
    rows = graph.read("explore/account", account_id=account_id)
    if not rows:
        return None
    account = dict(rows[0]["account"])
    account["networks"] = graph.read("explore/account_networks", account_id=account_id)
    account["entities"] = graph.read("explore/account_entities", account_id=account_id)
    account["recent_sessions"] = graph.read("explore/account_sessions", account_id=account_id,
                                            limit=25)
    return account
