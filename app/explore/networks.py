"""Networks of a run as the pages show them: lists, one network, its members,
infrastructure, activity and picture. What belongs to a complete run never
changes, so it is kept per process (`app.memo.memoised`)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from app.db.graph import Graph
from app.explore.masking import mask_picture, privacy_of
from app.graphview import PICTURE_NODES, network_picture
from app.kinds import INFRASTRUCTURE_KINDS, entity_url
from app.memo import memoised
from app.paging import Page, parse_json


def list_networks(graph: Graph, run_id: str, *, suspected_only: bool, min_score: float,
                  min_size: int, sort: str, descending: bool, page: int,
                  per_page: int) -> Page:
    """Networks of a run, filtered, sorted and cut into pages."""
    rows = _run_networks(graph, run_id, suspected_only, min_score, min_size)
    rows.sort(key=lambda r: (r[sort] if r[sort] is not None else -math.inf, r["network_id"]),
              reverse=descending)
    start = (page - 1) * per_page
    return Page(rows[start:start + per_page], page, per_page, len(rows))


# The networks of a complete run never change (only detection writes them, and
# run ids are unique; only complete runs are shown): the filtered list of a run
# is kept per process. Callers get a fresh list of the shared rows: they sort
# it, never change the rows.
@memoised(32, copy=list)
def _run_networks(graph: Graph, run_id: str, suspected_only: bool, min_score: float,
                  min_size: int) -> list[dict[str, Any]]:
    """The networks of a run that pass the filters, each with its growth."""
    rows = graph.read("explore/networks", run_id=run_id, suspected_only=suspected_only,
                      min_score=min_score, min_size=min_size)
    for row in rows:
        before = row["previous_size"]
        row["growth"] = None if before is None else row["size"] - before
    return rows


def get_network(graph: Graph, run_id: str, network_id: str) -> dict[str, Any] | None:
    """A network of a run (a copy of the top level: callers may change it)."""
    found = _network(graph, run_id, network_id)
    return None if found is None else dict(found[0])


# A network of a complete run never changes (only detection writes networks):
# kept per process, parsed; one of a run still being written is read again.
@memoised(256, keep=lambda found: found[1])
def _network(graph: Graph, run_id: str, network_id: str
             ) -> tuple[dict[str, Any], bool] | None:
    """The network and whether its run is complete."""
    rows = graph.read("explore/network", run_id=run_id, network_id=network_id)
    return (_network_of(rows[0]), bool(rows[0]["complete"])) if rows else None


def _network_of(row: dict[str, Any]) -> dict[str, Any]:
    network = dict(row["network"])
    network["features"] = sorted(parse_json(network.get("evidence"), []),
                                 key=lambda f: -f["contribution"])
    network["lineage"] = parse_json(network.get("lineage"), {})
    network["previous_size"] = row["previous_size"]
    network["previous_run"] = row["previous_run"]
    return network


def network_members(graph: Graph, run_id: str, network_id: str, *, sort: str,
                    descending: bool, page: int, per_page: int, total: int) -> Page:
    rows = graph.read("explore/network_members", run_id=run_id, network_id=network_id,
                      sort=sort, direction=1 if descending else -1,
                      skip=(page - 1) * per_page, limit=per_page)
    return Page(rows[0]["members"], page, per_page, total)



def network_infrastructure(graph: Graph, run_id: str, network_id: str,
                           per_kind: int = 10) -> dict[str, list[dict[str, Any]]]:
    """What members share, per kind of entity, ranked by how many members use each.

    Keys are the kinds of `INFRASTRUCTURE_KINDS` that have rows, in its order.
    The detector stores this on each network; older runs get it live.
    """
    stored = _stored_summary(graph, run_id, network_id, "shared")
    if stored is not None:
        rows = [dict(row) for found in stored.values() for row in found[:per_kind]]
    else:
        rows = graph.read("explore/network_infrastructure", run_id=run_id,
                          network_id=network_id, limit=per_kind)
    # Payment tokens are the only masked kind here (e-mail domains are not infrastructure).
    privacy_of(graph).mask_rows(rows)
    rows = [{**row, "href": entity_url(row["kind"], row["key"])} for row in rows]
    grouped: dict[str, list[dict[str, Any]]] = {kind: [] for kind in INFRASTRUCTURE_KINDS}
    for row in rows:
        grouped[row["kind"]].append(row)
    return {kind: found for kind, found in grouped.items() if found}


# Stored summaries are written once, with their network: kept per process, parsed.
@memoised(256)
def _stored_summary(graph: Graph, run_id: str, network_id: str, name: str) -> Any:
    """The detector's stored summary of a network (None for runs from before them).

    Callers must not change what they get: it is shared.
    """
    rows = graph.read("explore/network_summary", run_id=run_id, network_id=network_id)
    return parse_json(rows[0][name], None) if rows else None


# Activity of a network in a complete run never changes: keep the latest few.
# Callers must not change what they get: it is shared.
@memoised(128)
def network_activity(graph: Graph, run_id: str, network_id: str) -> dict[str, Any]:
    """Sessions per hour as a day-by-hour heatmap, plus the sign-up waves."""
    hours = [{**row, "hour": datetime.fromtimestamp(row["hour"] * 3600, UTC).isoformat()}
             for row in graph.read("explore/network_activity", run_id=run_id,
                                   network_id=network_id)]
    waves = graph.read("explore/network_signups", run_id=run_id, network_id=network_id,
                       limit=10)
    return {"heatmap": activity_heatmap(hours), "waves": waves}


def activity_heatmap(hours: list[dict[str, Any]], max_days: int = 45) -> dict[str, Any]:
    """Rows of days (the latest `max_days`), 24 cells each, with a 0-5 shade per cell."""
    by_day: dict[str, list[dict[str, Any]]] = {}
    for row in hours:
        day, hour = row["hour"][:10], int(row["hour"][11:13])
        cells = by_day.setdefault(day, [{"hour": h, "sessions": 0, "accounts": 0}
                                        for h in range(24)])
        cells[hour] = {"hour": hour, "sessions": row["sessions"], "accounts": row["accounts"]}
    days = sorted(by_day)
    shown = days[-max_days:]
    peak = max((c["sessions"] for d in shown for c in by_day[d]), default=0)
    for day in shown:
        for cell in by_day[day]:
            cell["shade"] = 0 if not cell["sessions"] else 1 + min(4, int(4 * cell["sessions"]
                                                                          / max(peak, 1)))
            # Made once here (the result is cached), not per cell per render.
            cell["title"] = (f"{day} {cell['hour']:02d}:00 · {cell['sessions']} sessions by "
                             f"{cell['accounts']} accounts")
    totals = [sum(by_day[d][h]["sessions"] for d in days) for h in range(24)]
    return {"days": [{"day": d, "cells": by_day[d]} for d in shown], "peak": peak,
            "hidden_days": len(days) - len(shown), "by_hour": totals,
            "first": days[0] if days else None, "last": days[-1] if days else None}


def network_graph(graph: Graph, run_id: str, network_id: str, *,
                  max_nodes: int = PICTURE_NODES) -> dict[str, Any]:
    """The network's picture for the graph view, collapsed beyond `max_nodes`."""
    stored = _stored_summary(graph, run_id, network_id, "picture")
    if stored is not None and max_nodes == PICTURE_NODES:
        return mask_picture(privacy_of(graph), dict(stored))
    rows = graph.read("explore/network_graph", run_id=run_id, network_id=network_id,
                      max_entities=5000)
    if not rows:
        return {"nodes": [], "edges": [], "collapsed": False, "accounts": 0}
    href = f"/networks/{quote(network_id, safe='')}?run={quote(run_id, safe='')}#members"
    return mask_picture(privacy_of(graph), network_picture(
        rows[0]["accounts"], rows[0]["entities"], max_nodes=max_nodes, group_href=href))
