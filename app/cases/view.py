"""What a case shows, on its page and in its dossier: one view built from the
case's content (`content.case_content`), with personal values masked."""

from __future__ import annotations

from typing import Any

from app.cases.content import shown_entities
from app.cases.svg import activity_svg, hours_svg, network_svg
from app.db.graph import Graph


def case_view(graph: Graph, content: dict[str, Any],
              activity_size: dict[str, int] | None = None) -> dict[str, Any]:
    """Members by score, entities (most shared first, and by kind) and their links
    with payment tokens and personal e-mail domains masked (a page and a dossier
    are shown and forwarded; the exports for acting on them keep the values), the
    summary, and the pictures. `activity_size`: width and height of the activity
    chart, when not the dossier's."""
    activity = content.get("activity") or {}
    entities, links = shown_entities(graph, content["entities"], content["links"])
    entities.sort(key=lambda e: (-(e.get("accounts") or 0), -(e.get("sessions") or 0),
                                 e["kind"], str(e["key"])))
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for entity in entities:
        by_kind.setdefault(entity["kind"], []).append(entity)
    members = sorted(content["members"], key=lambda m: (-(m.get("score") or 0),
                                                        m["account_id"]))
    return {
        "summary": content["summary"], "members": members, "entities": entities,
        "entities_by_kind": by_kind, "links": links,
        "graph_svg": network_svg(members, entities, links),
        "activity_svg": activity_svg(activity.get("days", []), activity.get("signups", []),
                                     **(activity_size or {})),
        "hours_svg": hours_svg(activity.get("hours", [0] * 24)),
    }
