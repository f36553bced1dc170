"""The audit trail: who did what, when and from where.

Every event is a `:AuditEvent` node in Neo4j and a line appended to
`$HYDRASCOPE_HOME/audit.jsonl`, so the trail survives the loss of either.
Nothing in the app edits or deletes events.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.db.graph import Graph

_file_lock = threading.Lock()


@dataclass(frozen=True)
class AuditEvent:
    actor: str
    action: str
    target: str = ""
    source: str = ""
    outcome: str = "ok"
    details: dict[str, Any] = field(default_factory=dict)
    event_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


def audit_file(graph: Graph) -> Path:
    return graph.settings.home / "audit.jsonl"


def record(graph: Graph, actor: str, action: str, *, target: str = "", source: str = "",
           outcome: str = "ok", details: dict[str, Any] | None = None) -> AuditEvent:
    """Record one event (e.g. action `query.run`, `case.export`, `login.failed`)."""
    event = AuditEvent(actor=actor, action=action, target=target, source=source,
                       outcome=outcome, details=details or {})
    line = json.dumps(asdict(event), default=str, sort_keys=True)
    path = audit_file(graph)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock, path.open("a", encoding="utf-8") as out:
        out.write(line + "\n")
    params = asdict(event)
    params["details"] = json.dumps(event.details, default=str, sort_keys=True)
    graph.write("audit/record_event", **params)
    return event


def list_events(graph: Graph, *, actor: str | None = None, action: str | None = None,
                outcome: str | None = None, since: str | None = None,
                until: str | None = None, page: int = 1,
                per_page: int = 50) -> tuple[list[dict[str, Any]], int]:
    """A page of events, newest first, and how many match the filters."""
    row = graph.read("audit/list_events", actor=actor or None, action=action or None,
                     outcome=outcome or None, since=since or None, until=until or None,
                     skip=(page - 1) * per_page, limit=per_page)[0]
    for event in row["events"]:
        try:
            event["details"] = json.loads(event.get("details") or "{}")
        except ValueError:
            event["details"] = {}
    return row["events"], int(row["total"])
