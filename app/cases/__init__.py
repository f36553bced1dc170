"""Cases: one piece of work per suspected network, from detection to a decision.

A case opened on a network freezes that network as the detection run saw it
(its score, evidence and members with their facts), so later runs never
rewrite it. Members, entities, notes and pinned evidence then change only by
an investigator's hand, and every change is an audit event whose target is
the case: the case's timeline is read back from the audit trail.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from app import explore
from app.audit import record
from app.cases.analysis import (
    ENTITY_KINDS,
    KIND_OF_LINK,
    activity,
    shared_infrastructure,
    summarise,
)
from app.db.graph import Graph
from app.errors import HydrascopeError
from app.explore import privacy_of, resolve_key
from app.paging import Page, parse_json

STATUSES = ("open", "investigating", "confirmed", "false_positive", "actioned", "closed")
STATUS_LABELS = {"open": "Open", "investigating": "Investigating", "confirmed": "Confirmed",
                 "false_positive": "False positive", "actioned": "Actioned", "closed": "Closed"}
PRIORITIES = ("low", "medium", "high", "critical")
EVIDENCE_KINDS = ("query", "graph")
CASE_SORTS = ("number", "title", "status", "priority", "assignee", "members", "updated_at")
# A case in one of these states is finished: the network may get a new one.
FINISHED = ("closed", "false_positive")
MAX_NOTE = 20_000
MAX_TITLE = 200
# Rows of a pinned result kept with the case (the rest are counted, not stored).
MAX_PINNED_ROWS = 1000


class CaseError(HydrascopeError):
    """A case request that cannot be done as asked."""


class CaseNotFound(CaseError):
    """No case of that id."""


class CaseExists(CaseError):
    """The network already has a case in progress: one network, one piece of work."""

    def __init__(self, case_id: str, network_id: str):
        super().__init__(f"network {network_id} already has case {case_id}")
        self.case_id = case_id


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


_json = parse_json


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


# -- opening a case ---------------------------------------------------------------


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
    title = _clean_title(title)
    number = int(graph.write("cases/next_case_number")[0]["number"])
    case_id = f"CASE-{number:05d}"
    at = now()
    graph.write("cases/create_case", case_id=case_id, props={
        "number": number, "title": title, "status": "open", "priority": "medium",
        "assignee": None, "created_at": at, "created_by": actor, "updated_at": at,
        "network_id": network_id, "run_id": run_id, "snapshot": _dump(snapshot),
        "analysis": _dump({})})
    origin = "network" if network_id else "selected"
    _add_member_rows(graph, case_id, members, actor, at, origin)
    _refresh_analysis(graph, case_id)
    record(graph, actor, "case.create", target=case_id, source=source,
           details={"title": title, "network_id": network_id, "run_id": run_id,
                    "accounts": len(members)})
    return case_id


def _run_provenance(graph: Graph, run_id: str) -> dict[str, Any] | None:
    rows = graph.read("cases/run_provenance", run_id=run_id)
    if not rows:
        return None
    run = dict(rows[0])
    run["params"] = _json(run.get("params"), run.get("params"))
    return run


def _add_member_rows(graph: Graph, case_id: str, members: list[dict[str, Any]], actor: str,
                     at: str, origin: str) -> int:
    fields = ("account_id", "status", "created_at", "plan", "country", "sessions", "tokens",
              "reasoning", "score", "flagged")
    rows = [{**{k: m.get(k) for k in fields}, "origin": origin, "added_at": at,
             "added_by": actor} for m in members]
    added = 0
    for start in range(0, len(rows), 5000):
        added += int(graph.write("cases/add_members", case_id=case_id,
                                 members=rows[start:start + 5000])[0]["added"])
    return added


def _refresh_analysis(graph: Graph, case_id: str) -> None:
    """Recompute the shared infrastructure and activity of the case's current members.

    Entities an investigator added by hand stay; the automatic ones are replaced.
    """
    members = graph.read("cases/case_members", case_id=case_id)
    ids = [m["member"]["account_id"] for m in members]
    links: list[dict[str, Any]] = []
    for row in graph.read("cases/member_links", account_ids=ids):
        links.append({**row, "kind": KIND_OF_LINK[row["rel"]]})
    for row in graph.read("cases/member_prefixes", account_ids=ids):
        links.append({**row, "kind": "prefix"})
    for row in graph.read("cases/member_templates", account_ids=ids):
        links.append({**row, "kind": "template"})
    entities = shared_infrastructure(links, len(ids))
    at = now()
    graph.write("cases/remove_entities", case_id=case_id, origin="analysis", entities=[])
    rows = [{"kind": e["kind"], "key": e["key"], "accounts": e["accounts"],
             "sessions": e["sessions"], "origin": "analysis", "added_at": at,
             "added_by": "hydrascope"} for e in entities]
    for start in range(0, len(rows), 2000):
        graph.write("cases/add_entities", case_id=case_id, entities=rows[start:start + 2000])
    created = [m["member"].get("created_at") for m in members]
    analysis = {
        "activity": activity(graph.read("cases/member_activity", account_ids=ids), created),
        "links": {f"{e['kind']}|{e['key']}": e["members"] for e in entities},
        "computed_at": at,
    }
    graph.write("cases/set_analysis", case_id=case_id, analysis=_dump(analysis), at=at)


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise CaseError("a case needs a title")
    if len(title) > MAX_TITLE:
        raise CaseError(f"a title has at most {MAX_TITLE} characters")
    return title


# -- reading ----------------------------------------------------------------------


def get_case(graph: Graph, case_id: str) -> dict[str, Any]:
    """A case's facts and counts, with its snapshot and analysis parsed."""
    rows = graph.read("cases/get_case", case_id=case_id)
    if not rows:
        raise CaseNotFound(f"no case {case_id}")
    case = dict(rows[0]["case"])
    case["snapshot"] = _json(case.get("snapshot"), {})
    case["analysis"] = _json(case.get("analysis"), {})
    for key in ("members", "entities", "notes", "pinned"):
        case[f"{key}_count"] = rows[0][key]
    return case


def case_members(graph: Graph, case_id: str) -> list[dict[str, Any]]:
    return [row["member"] for row in graph.read("cases/case_members", case_id=case_id)]


def case_entities(graph: Graph, case_id: str) -> list[dict[str, Any]]:
    return [row["entity"] for row in graph.read("cases/case_entities", case_id=case_id)]


def case_notes(graph: Graph, case_id: str) -> list[dict[str, Any]]:
    return [row["note"] for row in graph.read("cases/case_notes", case_id=case_id)]


def case_evidence(graph: Graph, case_id: str) -> list[dict[str, Any]]:
    pinned = []
    for row in graph.read("cases/case_evidence", case_id=case_id):
        item = dict(row["evidence"])
        for key, default in (("params", {}), ("columns", []), ("rows", [])):
            item[key] = _json(item.get(key), default)
        pinned.append(item)
    return pinned


def timeline(graph: Graph, case_id: str) -> list[dict[str, Any]]:
    """Everything that happened to the case, oldest first (from the audit trail)."""
    events = []
    for row in graph.read("cases/timeline", case_id=case_id):
        event = dict(row)
        event["details"] = _json(event.get("details"), {})
        events.append(event)
    return events


def list_cases(graph: Graph, *, status: str | None = None, assignee: str | None = None,
               sort: str = "number", descending: bool = True, page: int = 1,
               per_page: int = 25) -> Page:
    """Cases that pass the filters, sorted and cut into pages."""
    if sort not in CASE_SORTS:
        raise CaseError(f"cannot sort cases by {sort}")
    rows = graph.read("cases/list_cases", status=status or None, assignee=assignee or None)
    if sort == "priority":
        rows.sort(key=lambda r: (PRIORITIES.index(r["priority"])
                                 if r["priority"] in PRIORITIES else -1, r["number"]),
                  reverse=descending)
    else:
        rows.sort(key=lambda r: (r[sort] is not None, r[sort] if r[sort] is not None else 0,
                                 r["number"]), reverse=descending)
    start = (page - 1) * per_page
    return Page(rows[start:start + per_page], page, per_page, len(rows))


# -- changing -----------------------------------------------------------------------


def update_case(graph: Graph, case_id: str, actor: str, *, title: str | None = None,
                status: str | None = None, priority: str | None = None,
                assignee: str | None = None, source: str = "") -> dict[str, Any]:
    """Change title, status, priority or assignee (None keeps; assignee '' clears).

    Returns what changed, as {field: [before, after]}.
    """
    before = get_case(graph, case_id)
    if title is not None:
        title = _clean_title(title)
    if status is not None and status not in STATUSES:
        raise CaseError(f"status must be one of {', '.join(STATUSES)}")
    if priority is not None and priority not in PRIORITIES:
        raise CaseError(f"priority must be one of {', '.join(PRIORITIES)}")
    if assignee is not None:
        assignee = assignee.strip()[:100]
    wanted = {"title": title, "status": status, "priority": priority, "assignee": assignee}
    changes = {}
    for key, value in wanted.items():
        if value is None:
            continue
        old = before.get(key)
        new = value or None
        if old != new:
            changes[key] = [old, new]
    if changes:
        graph.write("cases/update_case", case_id=case_id, title=title, status=status,
                    priority=priority, assignee=assignee, at=now())
        record(graph, actor, "case.update", target=case_id, source=source,
               details={"changes": changes})
    return changes


def add_note(graph: Graph, case_id: str, body: str, actor: str, *, source: str = "") -> str:
    """Add a note (plain text or a safe subset of Markdown, shown escaped); its id."""
    get_case(graph, case_id)
    body = (body or "").strip()
    if not body:
        raise CaseError("a note cannot be empty")
    if len(body) > MAX_NOTE:
        raise CaseError(f"a note has at most {MAX_NOTE:,} characters")
    note_id = uuid.uuid4().hex
    graph.write("cases/add_note", case_id=case_id, note_id=note_id, body=body, author=actor,
                at=now())
    record(graph, actor, "case.note", target=case_id, source=source,
           details={"note_id": note_id, "length": len(body)})
    return note_id


def add_accounts(graph: Graph, case_id: str, account_ids: list[str], actor: str, *,
                 source: str = "") -> int:
    """Add accounts (their facts as of now); the number added."""
    get_case(graph, case_id)
    wanted = sorted({a.strip() for a in account_ids if a and a.strip()})
    facts = graph.read("cases/account_facts", account_ids=wanted) if wanted else []
    missing = sorted(set(wanted) - {f["account_id"] for f in facts})
    if missing:
        raise CaseError(f"no such account: {', '.join(missing[:5])}")
    added = _add_member_rows(graph, case_id, facts, actor, now(), "added")
    if added:
        _refresh_analysis(graph, case_id)
        record(graph, actor, "case.accounts.add", target=case_id, source=source,
               details={"accounts": wanted[:100], "count": added})
    return added


def remove_accounts(graph: Graph, case_id: str, account_ids: list[str], actor: str, *,
                    source: str = "") -> int:
    """Take accounts out of the case; the number removed."""
    get_case(graph, case_id)
    wanted = sorted({a.strip() for a in account_ids if a and a.strip()})
    removed = int(graph.write("cases/remove_members", case_id=case_id,
                              account_ids=wanted)[0]["removed"]) if wanted else 0
    if removed:
        _refresh_analysis(graph, case_id)
        record(graph, actor, "case.accounts.remove", target=case_id, source=source,
               details={"accounts": wanted[:100], "count": removed})
    return removed


def add_entity(graph: Graph, case_id: str, kind: str, key: str, actor: str, *,
               source: str = "") -> bool:
    """Link an entity (address, prefix, device, payment token, ...) by hand; False if unknown."""
    get_case(graph, case_id)
    if kind not in ENTITY_KINDS:
        raise CaseError(f"entity kind must be one of {', '.join(ENTITY_KINDS)}")
    key = _resolved(graph, kind, key.strip())
    row = {"kind": kind, "key": key, "accounts": 0, "sessions": 0, "origin": "manual",
           "added_at": now(), "added_by": actor}
    added = int(graph.write("cases/add_entities", case_id=case_id, entities=[row])[0]["added"])
    if not added:
        raise CaseError(f"no {kind} {key!r} in the graph")
    record(graph, actor, "case.entity.add", target=case_id, source=source,
           details={"kind": kind, "key": str(privacy_of(graph).mask(kind, key))})
    return True


def remove_entity(graph: Graph, case_id: str, kind: str, key: str, actor: str, *,
                  source: str = "") -> int:
    get_case(graph, case_id)
    key = _resolved(graph, kind, key)
    removed = int(graph.write("cases/remove_entities", case_id=case_id, origin=None,
                              entities=[{"kind": kind, "key": key}])[0]["removed"])
    if removed:
        record(graph, actor, "case.entity.remove", target=case_id, source=source,
               details={"kind": kind, "key": str(privacy_of(graph).mask(kind, key))})
    return removed


def _resolved(graph: Graph, kind: str, key: str) -> str:
    """The value a form names: itself, or the value behind a masked value's `~token`."""
    resolved = resolve_key(graph, kind, key)
    if resolved is None:
        raise CaseError(f"{key[:40]!r} does not name a masked {kind}")
    return resolved


def shown_entities(graph: Graph, entities: list[dict[str, Any]],
                   links: dict[str, list[str]]) -> tuple[list[dict[str, Any]],
                                                         dict[str, list[str]]]:
    """Copies of a case's entities and of its `kind|key` links with payment tokens
    masked, for pages and the dossier (exports for acting on them keep values)."""
    privacy = privacy_of(graph)
    rows = [dict(e) for e in entities]
    privacy.mask_rows(rows, count_field="accounts")
    shown_links = {}
    for node, accounts in links.items():
        kind, _, key = node.partition("|")
        shown_links[f"{kind}|{privacy.mask(kind, key)}"] = accounts
    return rows, shown_links


def pin_evidence(graph: Graph, case_id: str, kind: str, title: str, cypher: str,
                 params: dict[str, Any], columns: list[str], rows: list[list[Any]],
                 ran_at: str, actor: str, *, source: str = "") -> str:
    """Pin a saved-query result (or a graph view) to a case as it was when it ran.

    Keeps the Cypher, its parameters, the columns, up to MAX_PINNED_ROWS rows
    and the run time; returns the pinned item's id.
    """
    get_case(graph, case_id)
    if kind not in EVIDENCE_KINDS:
        raise CaseError(f"evidence kind must be one of {', '.join(EVIDENCE_KINDS)}")
    title = _clean_title(title)
    evidence_id = uuid.uuid4().hex
    at = now()
    graph.write("cases/pin_evidence", case_id=case_id, evidence_id=evidence_id, at=at, props={
        "kind": kind, "title": title, "cypher": cypher or "", "params": _dump(params or {}),
        "columns": _dump(list(columns or [])), "rows": _dump(list(rows or [])[:MAX_PINNED_ROWS]),
        "row_count": len(rows or []), "ran_at": ran_at, "pinned_at": at, "pinned_by": actor})
    record(graph, actor, "case.evidence.pin", target=case_id, source=source,
           details={"evidence_id": evidence_id, "kind": kind, "title": title})
    return evidence_id


# -- the whole case, for exports ------------------------------------------------------------


def case_content(graph: Graph, case_id: str) -> dict[str, Any]:
    """Everything the case holds, in a canonical order (the basis of every export).

    Exports, timelines and generation times are not content: exporting twice
    gives the same content and the same digest.
    """
    case = get_case(graph, case_id)
    entities = [{k: e.get(k) for k in ("kind", "key", "accounts", "sessions", "origin",
                                       "network_type", "proxy_provider", "added_at",
                                       "added_by")} for e in case_entities(graph, case_id)]
    entities.sort(key=lambda e: (e["kind"], e["key"]))
    members = sorted(case_members(graph, case_id), key=lambda m: m["account_id"])
    analysis = case["analysis"]
    facts = {k: case.get(k) for k in ("case_id", "title", "status", "priority", "assignee",
                                      "created_at", "created_by", "updated_at", "network_id",
                                      "run_id")}
    return {
        "format": "hydrascope-case/1",
        "case": facts,
        "snapshot": case["snapshot"],
        "summary": summarise(members, entities, analysis, case["snapshot"]),
        "activity": analysis.get("activity", {}),
        "members": members,
        "entities": entities,
        "links": analysis.get("links", {}),
        "notes": case_notes(graph, case_id),
        "evidence": case_evidence(graph, case_id),
    }


def canonical_json(content: dict[str, Any]) -> bytes:
    """The canonical bytes of a case's content: sorted keys, no spaces, UTF-8."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode("utf-8")


def content_digest(content: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON: the digest printed in every dossier."""
    return hashlib.sha256(canonical_json(content)).hexdigest()
