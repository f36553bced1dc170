"""Changing a case by hand: its facts, notes, members, entities and pinned
evidence; each change is an audit event whose target is the case."""

from __future__ import annotations

import uuid
from typing import Any

from app.audit import record
from app.cases.analysis import ENTITY_KINDS, KIND_OF_LINK, activity, shared_infrastructure
from app.cases.content import get_case
from app.cases.model import (
    EVIDENCE_KINDS,
    MAX_NOTE,
    MAX_PINNED_ROWS,
    PRIORITIES,
    STATUSES,
    CaseError,
    clean_title,
    dump,
    now,
)
from app.db.graph import Graph
from app.explore import privacy_of, resolve_key


def add_member_rows(graph: Graph, case_id: str, members: list[dict[str, Any]], actor: str,
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


def refresh_analysis(graph: Graph, case_id: str) -> None:
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
    graph.write("cases/set_analysis", case_id=case_id, analysis=dump(analysis), at=at)


def update_case(graph: Graph, case_id: str, actor: str, *, title: str | None = None,
                status: str | None = None, priority: str | None = None,
                assignee: str | None = None, source: str = "") -> dict[str, Any]:
    """Change title, status, priority or assignee (None keeps; assignee '' clears).

    Returns what changed, as {field: [before, after]}.
    """
    before = get_case(graph, case_id)
    if title is not None:
        title = clean_title(title)
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
    added = add_member_rows(graph, case_id, facts, actor, now(), "added")
    if added:
        refresh_analysis(graph, case_id)
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
        refresh_analysis(graph, case_id)
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
    title = clean_title(title)
    evidence_id = uuid.uuid4().hex
    at = now()
    graph.write("cases/pin_evidence", case_id=case_id, evidence_id=evidence_id, at=at, props={
        "kind": kind, "title": title, "cypher": cypher or "", "params": dump(params or {}),
        "columns": dump(list(columns or [])), "rows": dump(list(rows or [])[:MAX_PINNED_ROWS]),
        "row_count": len(rows or []), "ran_at": ran_at, "pinned_at": at, "pinned_by": actor})
    record(graph, actor, "case.evidence.pin", target=case_id, source=source,
           details={"evidence_id": evidence_id, "kind": kind, "title": title})
    return evidence_id

