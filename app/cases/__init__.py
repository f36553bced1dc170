"""Cases: one piece of work per suspected network, from detection to a decision.

A case opened on a network freezes that network as the detection run saw it
(its score, evidence and members with their facts), so later runs never
rewrite it. Members, entities, notes and pinned evidence then change only by
an investigator's hand, and every change is an audit event whose target is
the case: the case's timeline is read back from the audit trail.

Modules: `model` (states, limits, errors), `opening`, `change`, `content`
(reading, and the content every export is built on), `view` (what the case
page and the dossier show), `analysis`, `exports`, `dossier`, `svg`.
"""

from __future__ import annotations

from app.cases.analysis import summarise
from app.cases.change import (
    add_accounts,
    add_entity,
    add_note,
    pin_evidence,
    remove_accounts,
    remove_entity,
    update_case,
)
from app.cases.content import (
    canonical_json,
    case_content,
    case_entities,
    case_evidence,
    case_members,
    case_notes,
    content_digest,
    get_case,
    list_cases,
    shown_entities,
    timeline,
)
from app.cases.model import (
    CASE_SORTS,
    EVIDENCE_KINDS,
    FINISHED,
    MAX_NOTE,
    MAX_PINNED_ROWS,
    MAX_TITLE,
    PRIORITIES,
    STATUS_LABELS,
    STATUSES,
    CaseError,
    CaseExists,
    CaseNotFound,
    now,
)
from app.cases.opening import create_from_accounts, create_from_network, open_case_on_network

__all__ = [
    "CASE_SORTS", "EVIDENCE_KINDS", "FINISHED", "MAX_NOTE", "MAX_PINNED_ROWS", "MAX_TITLE",
    "PRIORITIES", "STATUSES", "STATUS_LABELS", "CaseError", "CaseExists", "CaseNotFound",
    "add_accounts", "add_entity", "add_note", "canonical_json", "case_content",
    "case_entities", "case_evidence", "case_members", "case_notes", "content_digest",
    "create_from_accounts", "create_from_network", "get_case", "list_cases", "now",
    "open_case_on_network", "pin_evidence", "remove_accounts", "remove_entity",
    "shown_entities", "summarise", "timeline", "update_case",
]
