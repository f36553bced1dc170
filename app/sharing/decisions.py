"""A case's decision reaches partners: confirmed publishes, false positive withdraws.

`decide_case` is what the web app and the CLI call to change a case: the
change itself (`app.cases.update_case`), then, when the status moved to a
decision (confirmed or actioned), publishing to the default collection, and
when it moved to false positive, revoking whatever the case had published.
A publication that cannot be made (no sharing key, say) never undoes the
decision: it is an audit event on the case with the reason, and the caller
is told.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.audit import record
from app.cases.change import update_case
from app.db.graph import Graph
from app.sharing.collections import DEFAULT
from app.sharing.publish import Published, publish_case, revoke_case
from app.sharing.stix import DECIDED, SharingError


@dataclass
class Decision:
    changes: dict[str, Any] = field(default_factory=dict)
    published: Published | None = None
    revoked: int = 0
    problem: str | None = None


def decide_case(graph: Graph, case_id: str, actor: str, *, title: str | None = None,
                status: str | None = None, priority: str | None = None,
                assignee: str | None = None, source: str = "") -> Decision:
    """Change a case and share (or withdraw) what its new status decides."""
    decision = Decision(update_case(graph, case_id, actor, title=title, status=status,
                                    priority=priority, assignee=assignee, source=source))
    if "status" not in decision.changes:
        return decision
    before, after = decision.changes["status"]
    if after in DECIDED and before not in DECIDED:
        try:
            decision.published = publish_case(graph, case_id, actor, collection=DEFAULT,
                                              source=source)
        except SharingError as problem:
            decision.problem = f"not published to {DEFAULT}: {problem}"
            record(graph, actor, "intel.publish", target=case_id, source=source,
                   outcome="failed", details={"collection": DEFAULT, "reason": str(problem)})
    elif after == "false_positive":
        decision.revoked = revoke_case(graph, case_id, actor, source=source)
    return decision
