"""Reading a case: its facts, members, entities, notes, evidence and timeline,
the list of cases, and the whole content every export and view is built on."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from app.cases.analysis import summarise
from app.cases.model import CASE_SORTS, PRIORITIES, CaseError, CaseNotFound
from app.db.graph import Graph
from app.explore import privacy_of
from app.paging import Page, parse_json


def get_case(graph: Graph, case_id: str) -> dict[str, Any]:
    """A case's facts and counts, with its snapshot and analysis parsed."""
    rows = graph.read("cases/get_case", case_id=case_id)
    if not rows:
        raise CaseNotFound(f"no case {case_id}")
    case = dict(rows[0]["case"])
    case["snapshot"] = parse_json(case.get("snapshot"), {})
    case["analysis"] = parse_json(case.get("analysis"), {})
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
            item[key] = parse_json(item.get(key), default)
        pinned.append(item)
    return pinned


def timeline(graph: Graph, case_id: str) -> list[dict[str, Any]]:
    """Everything that happened to the case, oldest first (from the audit trail)."""
    events = []
    for row in graph.read("cases/timeline", case_id=case_id):
        event = dict(row)
        event["details"] = parse_json(event.get("details"), {})
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


def case_content(graph: Graph, case_id: str, *, case: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
    """Everything the case holds, in a canonical order (the basis of every export).

    Exports, timelines and generation times are not content: exporting twice
    gives the same content and the same digest.
    """
    if case is None:
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

