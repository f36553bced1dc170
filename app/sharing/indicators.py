"""Reading what partners reported: the indicators page and `intel list`, and the
reports that show on entity, account and network pages."""

from __future__ import annotations

from typing import Any

from app.db.graph import Graph
from app.explore import privacy_of
from app.kinds import kind_of
from app.paging import Page


def list_indicators(graph: Graph, *, q: str = "", matched_only: bool = False, page: int = 1,
                    per_page: int = 50) -> Page:
    """Partners' indicators, newest first, filtered by a search text."""
    row = graph.read("sharing/list_indicators", q=q.strip().lower() or None,
                     matched_only=matched_only, skip=(page - 1) * per_page,
                     limit=per_page)[0]
    return Page(row["rows"], page, per_page, row["total"])


def entity_reports(graph: Graph, kind: str, key: str) -> list[dict[str, Any]]:
    """What partners reported about one entity (kind in either spelling)."""
    found = kind_of(kind)
    if found is None:
        return []
    return graph.read("sharing/entity_reports", kind=found.stored, key=str(key))


def account_reports(graph: Graph, account_ids: list[str]) -> list[dict[str, Any]]:
    """Partners' reports about entities the accounts use, with how many of them use each
    (keys of individuals masked, as on every page)."""
    rows = [dict(r) for r in graph.read("sharing/account_reports", account_ids=account_ids)]
    for row in rows:
        found = kind_of(row["kind"])
        row["kind"] = found.name if found else row["kind"]
    privacy_of(graph).mask_rows(rows)
    return rows


def network_reports(graph: Graph, run_id: str, network_id: str) -> list[dict[str, Any]]:
    """Partners' reports about what a network's members use."""
    ids = graph.read("sharing/network_member_ids", run_id=run_id,
                     network_id=network_id)[0]["ids"]
    return account_reports(graph, ids) if ids else []
