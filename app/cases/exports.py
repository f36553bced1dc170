"""A case as files: PDF dossier, JSON, CSVs, an enforcement list and a STIX 2.1 bundle.

`export_case` is the one entry point the web app and the CLI call; each
export is an audit event (`case.export`) on the case.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stix2

from app.audit import record
from app.cases.analysis import KIND_OF_LINK
from app.cases.content import canonical_json, case_content, case_members, content_digest
from app.db.graph import Graph
from app.errors import HydrascopeError
from app.kinds import CASE_KINDS
from app.sharing.stix import pattern_for, stix_quote

FORMATS = {
    "pdf": ("application/pdf", "pdf"),
    "json": ("application/json", "json"),
    "members": ("text/csv", "members.csv"),
    "entities": ("text/csv", "entities.csv"),
    "enforcement": ("text/csv", "enforcement.csv"),
    "stix": ("application/stix+json;version=2.1", "stix.json"),
}
MEMBER_COLUMNS = ("account_id", "status", "created_at", "plan", "country", "sessions", "tokens",
                  "reasoning", "score", "flagged", "origin", "added_at", "added_by")
ENTITY_COLUMNS = ("kind", "key", "accounts", "sessions", "network_type", "proxy_provider",
                  "origin", "added_at", "added_by")
ENFORCEMENT_ACTIONS = {"account": "suspend account", "api_key": "revoke key",
                       "payment": "block payment token"}


@dataclass
class Export:
    data: bytes
    media_type: str
    filename: str
    digest: str


def export_case(graph: Graph, case_id: str, fmt: str, actor: str, *,
                source: str = "") -> Export:
    """Build one export of a case and record it in the audit trail."""
    if fmt not in FORMATS:
        raise HydrascopeError(f"export format must be one of {', '.join(FORMATS)}")
    content = case_content(graph, case_id)
    digest = content_digest(content)
    if fmt == "pdf":
        from app.cases.dossier import render_pdf

        data = render_pdf(graph, content, digest, actor)
    elif fmt == "json":
        data = canonical_json(content)
    elif fmt == "members":
        data = _csv(MEMBER_COLUMNS, content["members"])
    elif fmt == "entities":
        data = _csv(ENTITY_COLUMNS, content["entities"])
    elif fmt == "enforcement":
        data = _csv(("kind", "value", "action", "accounts", "case_id"),
                    enforcement_list(graph, case_id))
    else:
        data = stix_bundle(content).encode("utf-8")
    media_type, suffix = FORMATS[fmt]
    record(graph, actor, "case.export", target=case_id, source=source,
           details={"format": fmt, "sha256": digest, "bytes": len(data)})
    return Export(data, media_type, f"{case_id}.{suffix}", digest)


def _csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in columns})
    return out.getvalue().encode("utf-8")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    # A spreadsheet must not run a cell as a formula.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def enforcement_list(graph: Graph, case_id: str) -> list[dict[str, Any]]:
    """What to act on: the accounts, and the API keys and payment tokens they use now."""
    members = case_members(graph, case_id)
    ids = [m["account_id"] for m in members]
    rows: list[dict[str, Any]] = [{"kind": "account", "value": a, "action":
                                   ENFORCEMENT_ACTIONS["account"], "accounts": 1,
                                   "case_id": case_id} for a in sorted(ids)]
    users: dict[tuple[str, str], set[str]] = {}
    for link in graph.read("cases/member_links", account_ids=ids):
        kind = KIND_OF_LINK[link["rel"]]
        if kind in ("api_key", "payment"):
            users.setdefault((kind, str(link["key"])), set()).add(link["account_id"])
    for (kind, value), accounts in sorted(users.items()):
        rows.append({"kind": kind, "value": value, "action": ENFORCEMENT_ACTIONS[kind],
                     "accounts": len(accounts), "case_id": case_id})
    return rows


def indicator_pattern(kind: str, key: str) -> str | None:
    """A STIX pattern for one entity, or None for kinds other providers cannot see.

    This internal file names devices in clear; what is published to partners
    (`app.sharing`) hashes them.
    """
    if kind == "device":
        return f"[x-hydrascope-device:fingerprint = {stix_quote(key)}]"
    if kind in ("ip", "prefix", "user_agent", "template"):
        return pattern_for(kind, key, hashed=False)
    return None


# How an indicator names its entity: the case's heading (a template is its SimHash).
INDICATOR_NAMES = {**{name: kind.long_title for name, kind in CASE_KINDS.items()},
                   "template": "Prompt template (SimHash)"}


def stix_bundle(content: dict[str, Any]) -> str:
    """The case's indicators (addresses, prefixes, fingerprints, templates) as STIX 2.1."""
    case = content["case"]
    created = datetime.now(UTC)
    identity = stix2.Identity(name="Hydrascope", identity_class="organization",
                              description="Trust-and-safety investigation of model "
                                          "distillation networks")
    objects: list[Any] = [identity]
    indicators = []
    for entity in content["entities"]:
        pattern = indicator_pattern(entity["kind"], str(entity["key"]))
        if pattern is None:
            continue
        indicators.append(stix2.Indicator(
            name=f"{INDICATOR_NAMES[entity['kind']]} {entity['key']}",
            description=(f"Shared by {entity.get('accounts') or 0} accounts of "
                         f"{case['case_id']} ({case['title']}), a suspected network of "
                         "accounts distilling an AI model."),
            pattern=pattern, pattern_type="stix", valid_from=created,
            indicator_types=["malicious-activity"], created_by_ref=identity.id,
            labels=[entity["kind"], "model-distillation"], allow_custom=False))
    objects.extend(indicators)
    summary = content["summary"]
    objects.append(stix2.Report(
        name=f"{case['case_id']}: {case['title']}",
        description=(f"{summary['accounts']:,} accounts, {summary['sessions']:,} sessions, "
                     f"{summary['tokens']:,} tokens. Status: {case['status']}."),
        published=created, report_types=["threat-actor"], created_by_ref=identity.id,
        object_refs=[i.id for i in indicators] or [identity.id]))
    bundle = stix2.Bundle(objects=objects)
    return str(json.dumps(json.loads(bundle.serialize()), indent=1))
