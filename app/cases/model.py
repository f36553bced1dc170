"""What a case is made of: its states, priorities and limits, its errors, and
the small helpers every part of the package uses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from app.errors import HydrascopeError

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



def dump(value: Any) -> str:
    """Compact, sorted JSON, as case properties store structured values."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise CaseError("a case needs a title")
    if len(title) > MAX_TITLE:
        raise CaseError(f"a title has at most {MAX_TITLE} characters")
    return title

