"""Read-side services for the investigator pages: runs, networks, accounts."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from app.addresses import prefix_of
from app.audit import record
from app.db.graph import Graph
from app.explore.entities import ENTITY_KINDS, RELATION_KINDS, account_url, entity_url
from app.explore.graphview import PICTURE_NODES, network_picture
from app.ingest.contract import BadValue, parse_ip
from app.memo import Memo
from app.paging import Page, parse_json
from app.privacy import MASKED_KINDS, BadToken, Privacy, privacy_for

NETWORK_SORTS = ("score", "size", "tokens", "sessions", "growth", "new_heads")
MEMBER_SORTS = ("score", "sessions", "tokens", "created", "reasoning")


_json = parse_json


def privacy_of(graph: Graph) -> Privacy:
    """How this installation masks identifiers of individuals (see app/privacy.py)."""
    return privacy_for(graph.settings.secret_key, graph.settings.privacy_min_accounts)


def resolve_key(graph: Graph, kind: str, key: str) -> str | None:
    """The value a key names: itself, or the value behind a masked link's `~token`
    (None when that token is not one of ours)."""
    if key.startswith("~") and kind in MASKED_KINDS:
        try:
            return privacy_of(graph).unmask(kind, key[1:])
        except BadToken:
            return None
    return key


def reveal(graph: Graph, kind: str, token: str, *, actor: str,
           source: str = "") -> tuple[str, str]:
    """The alias and value behind a masked value's token, recorded in the audit trail.

    Raises `BadToken` when the token is not one of ours for this kind.
    """
    if kind not in MASKED_KINDS:
        raise BadToken(f"{kind} values are not masked")
    privacy = privacy_of(graph)
    value = privacy.unmask(kind, token)
    alias = privacy.alias(kind, value)
    record(graph, actor, "privacy.reveal", target=f"{kind} {alias}", source=source)
    return alias, value


def mask_account(privacy: Privacy, account: dict[str, Any],
                 domain_accounts: int | None = None) -> dict[str, Any]:
    """An account's own payment token and (personal) e-mail domain, masked in place."""
    if account.get("payment_fingerprint") is not None:
        account["payment_fingerprint"] = privacy.mask("payment", account["payment_fingerprint"])
    if account.get("email_domain") is not None:
        account["email_domain"] = privacy.mask("email domain", account["email_domain"],
                                               domain_accounts)
    return account


def latest_run(graph: Graph) -> dict[str, Any] | None:
    """The latest complete detection run, with its counts and changes parsed."""
    runs = graph.read("explore/runs", limit=1)
    return _run_of(runs[0]) if runs else None


def latest_run_id(graph: Graph) -> str | None:
    run = latest_run(graph)
    return None if run is None else str(run["run_id"])


# A complete run's row never changes (run ids are unique): kept per process.
_RUNS: Memo[dict[str, Any]] = Memo(16)


def get_run(graph: Graph, run_id: str | None) -> dict[str, Any] | None:
    """A complete detection run by id (None for no id, or a run not complete)."""
    if run_id is None:
        return None
    key = (graph.database, run_id)
    cached = _RUNS.get(key)
    if cached is not None:
        return dict(cached)
    rows = graph.read("explore/run", run_id=run_id)
    return dict(_RUNS.put(key, _run_of(rows[0]))) if rows else None


def _run_of(row: dict[str, Any]) -> dict[str, Any]:
    run = dict(row)
    for key in ("counts", "changes", "population"):
        run[key] = _json(run.get(key), {})
    return run


def list_networks(graph: Graph, run_id: str, *, suspected_only: bool, min_score: float,
                  min_size: int, sort: str, descending: bool, page: int,
                  per_page: int) -> Page:
    """Networks of a run, filtered, sorted and cut into pages."""
    rows = _run_networks(graph, run_id, suspected_only, min_score, min_size)
    key = "growth" if sort == "growth" else sort
    rows.sort(key=lambda r: (r[key] if r[key] is not None else -math.inf, r["network_id"]),
              reverse=descending)
    start = (page - 1) * per_page
    return Page(rows[start:start + per_page], page, per_page, len(rows))


# The networks of a complete run never change (only detection writes them, and
# run ids are unique): the filtered list of a run is kept per process.
_NETWORKS: Memo[list[dict[str, Any]]] = Memo(32)


def _run_networks(graph: Graph, run_id: str, suspected_only: bool, min_score: float,
                  min_size: int) -> list[dict[str, Any]]:
    """The networks of a run that pass the filters, each with its growth (a fresh list
    of shared rows: callers sort it, never change the rows)."""
    key = (graph.database, run_id, suspected_only, min_score, min_size)
    cached = _NETWORKS.get(key)
    if cached is not None:
        return list(cached)
    rows = graph.read("explore/networks", run_id=run_id, suspected_only=suspected_only,
                      min_score=min_score, min_size=min_size)
    for row in rows:
        before = row["previous_size"]
        row["growth"] = None if before is None else row["size"] - before
    # Only runs that are complete are shown, so only those are ever kept.
    return list(_NETWORKS.put(key, rows))


# A network of a complete run never changes (only detection writes networks):
# kept per process, parsed. Callers get a copy of the top level.
_SNAPSHOTS: Memo[dict[str, Any]] = Memo(256)


def get_network(graph: Graph, run_id: str, network_id: str) -> dict[str, Any] | None:
    """A network of a run."""
    key = (graph.database, run_id, network_id)
    cached = _SNAPSHOTS.get(key)
    if cached is not None:
        return dict(cached)
    rows = graph.read("explore/network", run_id=run_id, network_id=network_id)
    if not rows:
        return None
    network = _network_of(rows[0])
    return dict(_SNAPSHOTS.put(key, network)) if rows[0]["complete"] else network


def _network_of(row: dict[str, Any]) -> dict[str, Any]:
    network = dict(row["network"])
    network["features"] = sorted(_json(network.get("evidence"), []),
                                 key=lambda f: -f["contribution"])
    network["lineage"] = _json(network.get("lineage"), {})
    network["previous_size"] = row["previous_size"]
    network["previous_run"] = row["previous_run"]
    return network


def network_members(graph: Graph, run_id: str, network_id: str, *, sort: str,
                    descending: bool, page: int, per_page: int, total: int) -> Page:
    rows = graph.read("explore/network_members", run_id=run_id, network_id=network_id,
                      sort=sort, direction=1 if descending else -1,
                      skip=(page - 1) * per_page, limit=per_page)
    return Page(rows[0]["members"], page, per_page, total)


def get_account(graph: Graph, account_id: str) -> dict[str, Any] | None:
    rows = graph.read("explore/account", account_id=account_id)
    if not rows:
        return None
    account = dict(rows[0]["account"])
    account["networks"] = graph.read("explore/account_networks", account_id=account_id)
    account["entities"] = graph.read("explore/account_entities", account_id=account_id)
    account["recent_sessions"] = graph.read("explore/account_sessions", account_id=account_id,
                                            limit=25)
    account["neighbours"] = graph.read("explore/account_neighbours", account_id=account_id,
                                       max_sharers=500, limit=25)
    privacy = privacy_of(graph)
    for row in account["entities"]:
        row["entity_kind"] = RELATION_KINDS.get(row["kind"], "")
    # shared_with leaves the account itself out.
    privacy.mask_rows(account["entities"], kind_field="entity_kind", count_field="shared_with",
                      count_offset=1)
    domain_users = next((row["shared_with"] + 1 for row in account["entities"]
                         if row["kind"] == "EMAIL_AT"), None)
    mask_account(privacy, account, domain_users)
    for neighbour in account["neighbours"]:
        privacy.mask_rows(neighbour["shared"])
    return account


# Kinds of shared infrastructure, in page order, with their plural names.
INFRASTRUCTURE_KINDS = {"address": "Addresses", "prefix": "Prefixes",
                        "asn": "Autonomous systems", "proxy provider": "Proxy providers",
                        "device": "Devices", "payment": "Payment tokens", "api key": "API keys",
                        "user agent": "User agents", "template": "Prompt templates"}


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
_SUMMARIES: Memo[Any] = Memo(256)


def _stored_summary(graph: Graph, run_id: str, network_id: str, name: str) -> Any:
    """The detector's stored summary of a network (None for runs from before them).

    Callers must not change what they get: it is shared.
    """
    key = (graph.database, run_id, network_id, name)
    cached = _SUMMARIES.get(key)
    if cached is not None:
        return cached
    rows = graph.read("explore/network_summary", run_id=run_id, network_id=network_id)
    value = _json(rows[0][name], None) if rows else None
    return _SUMMARIES.put(key, value) if value is not None else None


# Activity of a network in a complete run never changes: keep the latest few.
_ACTIVITY: Memo[dict[str, Any]] = Memo(128)


def network_activity(graph: Graph, run_id: str, network_id: str) -> dict[str, Any]:
    """Sessions per hour as a day-by-hour heatmap, plus the sign-up waves."""
    key = (graph.database, run_id, network_id)
    cached = _ACTIVITY.get(key)
    if cached is not None:
        return cached
    hours = [{**row, "hour": datetime.fromtimestamp(row["hour"] * 3600, UTC).isoformat()}
             for row in graph.read("explore/network_activity", run_id=run_id,
                                   network_id=network_id)]
    waves = graph.read("explore/network_signups", run_id=run_id, network_id=network_id,
                       limit=10)
    activity = {"heatmap": activity_heatmap(hours), "waves": waves}
    return _ACTIVITY.put(key, activity)


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


def mask_picture(privacy: Privacy, picture: dict[str, Any]) -> dict[str, Any]:
    """The graph picture with masked entities' ids, labels and links replaced."""
    renamed: dict[str, str] = {}
    nodes = []
    for node in picture.get("nodes", []):
        kind, _, key = str(node["id"]).partition(":")
        if kind in MASKED_KINDS and node.get("type") == kind:
            masked = privacy.mask(kind, key)
            renamed[node["id"]] = f"{kind}:{masked}"
            node = {**node, "id": renamed[node["id"]], "label": str(masked),
                    "href": entity_url(kind, masked)}
        nodes.append(node)
    if not renamed:
        return picture
    edges = [{**e, "source": renamed.get(e["source"], e["source"]),
              "target": renamed.get(e["target"], e["target"])} for e in picture["edges"]]
    return {**picture, "nodes": nodes, "edges": edges}


def entity_lookup_params(kind: str, key: str) -> dict[str, Any] | None:
    """Parameters naming one entity, or None when the key cannot be one of that kind."""
    if kind not in ENTITY_KINDS:
        return None
    asn = None
    if kind == "asn":
        digits = key.upper().removeprefix("AS")
        if not digits.isdigit() or len(digits) > 10:
            return None
        asn = int(digits)
    elif kind == "address":
        try:
            key = parse_ip(key)
        except BadValue:
            return None
    elif kind == "email domain":
        key = key.lower()
    return {"kind": kind, "key": key, "asn": asn}


def get_entity(graph: Graph, kind: str, key: str, *, run_id: str | None, page: int,
               per_page: int) -> dict[str, Any] | None:
    """An entity with its intel, the accounts using it (a page), their networks and
    related entities; None when there is no such entity.

    `key` may be the opaque token of a masked value (`~...`, from a link).
    """
    privacy = privacy_of(graph)
    resolved = resolve_key(graph, kind, key)
    if resolved is None:
        return None
    params = entity_lookup_params(kind, resolved)
    if params is None:
        return None
    rows = graph.read("explore/entity", **params)
    if not rows:
        return None
    entity = {**rows[0]["entity"], "kind": kind, "key": params["key"],
              "title": ENTITY_KINDS[kind].title, "asn": rows[0]["asn"],
              "as_org": rows[0]["as_org"], "prefix": rows[0]["prefix"]}
    found = graph.read("explore/entity_accounts", run_id=run_id or "", skip=(page - 1) * per_page,
                       limit=per_page, **params)[0]
    if kind in MASKED_KINDS:
        masked = privacy.mask(kind, params["key"], found["total"])
        entity["key"] = entity[ENTITY_KINDS[kind].key] = masked
    found["accounts"].sort(key=lambda a: (-(a["sessions"] or 0), a["account_id"]))
    entity["accounts"] = Page(found["accounts"], page, per_page, found["total"])
    entity["networks"] = sorted(found["networks"], key=lambda n: (-n["accounts"],
                                                                  n["network_id"]))
    entity["related"] = graph.read("explore/entity_related", limit=50, **params)
    return entity


SEARCH_LIMIT = 10


def search(graph: Graph, text: str, limit: int = SEARCH_LIMIT) -> list[dict[str, Any]]:
    """Entities whose key starts with `text` (accounts, addresses, prefixes, ASNs,
    fingerprints, keys, e-mail domains, org ids), each with its page."""
    q = text.strip()
    if not q:
        return []
    prefix = None
    try:
        q = parse_ip(q)
        prefix = prefix_of(q)
    except BadValue:
        pass
    digits = q.upper().removeprefix("AS")
    asn = int(digits) if digits.isdigit() and len(digits) <= 10 else None
    rows = graph.read("explore/search", q=q, q_lower=q.lower(), prefix=prefix, asn=asn,
                      limit=limit, min_accounts=graph.settings.privacy_min_accounts)
    privacy_of(graph).mask_rows(rows, count_field="accounts")
    for row in rows:
        row["url"] = account_url(row["key"]) if row["kind"] == "account" else entity_url(
            row["kind"], row["key"])
    # Exact hits first, then shorter keys (closer to what was typed).
    rows.sort(key=lambda r: (r["key"] != q, len(r["key"]), r["kind"], str(r["key"])))
    return rows
