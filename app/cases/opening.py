"""Opening a case: on a suspected network of a run (its members and evidence
frozen as the run saw them) or on a list of accounts."""

from __future__ import annotations

from typing import Any

from app import explore
from app.audit import record
from app.cases.change import add_member_rows, refresh_analysis
from app.cases.model import FINISHED, CaseError, CaseExists, clean_title, dump, now
from app.db.graph import Graph
from app.paging import parse_json


def create_from_network(graph: Graph, network_id: str, title: str, actor: str, *,
                        run_id: str | None = None, source: str = "") -> str:
    """Open a case on a network of a run (the latest by default); its id.

    The network's facts, evidence and members are frozen into the case. A
    network with a case in progress gets no second one (CaseExists names it).
    """
    current = open_case_on_network(graph, network_id)
    if current:
        raise CaseExists(current, network_id)
    if run_id is None:
        run = explore.latest_run(graph)
        if run is None:
            raise CaseError("no detection run yet: run 'hydrascope detect' first")
        run_id = str(run["run_id"])
    network = explore.get_network(graph, run_id, network_id)
    if network is None:
        raise CaseError(f"no network {network_id} in run {run_id}")
    members = explore.network_members(graph, run_id, network_id, sort="score", descending=True,
                                      page=1, per_page=max(1, int(network["size"] or 0)),
                                      total=int(network["size"] or 0)).rows
    frozen_network = {k: network.get(k) for k in (
        "network_id", "run_id", "score", "intent", "flagged", "size", "sessions", "requests",
        "tokens", "banned", "reasons", "features", "lineage", "joined", "left", "new_heads",
        "status", "previous_size", "previous_run")}
    snapshot = {"source": "network", "network": frozen_network,
                "run": _run_provenance(graph, run_id), "snapshot_at": now()}
    return _open(graph, title, actor, source, snapshot, members,
                 network_id=network_id, run_id=run_id)


def open_case_on_network(graph: Graph, network_id: str) -> str | None:
    """The id of the network's case in progress, if it has one."""
    for row in graph.read("cases/cases_on_network", network_id=network_id):
        if row["status"] not in FINISHED:
            return str(row["case_id"])
    return None


def create_from_accounts(graph: Graph, account_ids: list[str], title: str, actor: str, *,
                         source: str = "") -> str:
    """Open a case on selected accounts (their facts as of now); its id."""
    wanted = sorted({a.strip() for a in account_ids if a and a.strip()})
    if not wanted:
        raise CaseError("no accounts given")
    members = graph.read("cases/account_facts", account_ids=wanted)
    if not members:
        raise CaseError("none of the given accounts exists")
    run = explore.latest_run(graph)
    snapshot = {"source": "accounts", "network": None,
                "run": _run_provenance(graph, str(run["run_id"])) if run else None,
                "requested": len(wanted), "snapshot_at": now()}
    return _open(graph, title, actor, source, snapshot, members, network_id=None, run_id=None)


def _open(graph: Graph, title: str, actor: str, source: str, snapshot: dict[str, Any],
          members: list[dict[str, Any]], *, network_id: str | None,
          run_id: str | None) -> str:
    title = clean_title(title)
    number = int(graph.write("cases/next_case_number")[0]["number"])
    case_id = f"CASE-{number:05d}"
    at = now()
    graph.write("cases/create_case", case_id=case_id, props={
        "number": number, "title": title, "status": "open", "priority": "medium",
        "assignee": None, "created_at": at, "created_by": actor, "updated_at": at,
        "network_id": network_id, "run_id": run_id, "snapshot": dump(snapshot),
        "analysis": dump({})})
    origin = "network" if network_id else "selected"
    add_member_rows(graph, case_id, members, actor, at, origin)
    refresh_analysis(graph, case_id)
    record(graph, actor, "case.create", target=case_id, source=source,
           details={"title": title, "network_id": network_id, "run_id": run_id,
                    "accounts": len(members)})
    return case_id


def _run_provenance(graph: Graph, run_id: str) -> dict[str, Any] | None:
    rows = graph.read("cases/run_provenance", run_id=run_id)
    if not rows:
        return None
    run = dict(rows[0])
    run["params"] = parse_json(run.get("params"), run.get("params"))
    return run

