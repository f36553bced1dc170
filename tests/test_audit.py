"""The audit trail writes each event to Neo4j and to the JSON Lines file."""

from __future__ import annotations

import json

from app.audit import audit_file, record
from app.db.graph import Graph


def test_event_lands_in_graph_and_file(graph: Graph) -> None:
    before = audit_file(graph).read_text().splitlines() if audit_file(graph).exists() else []
    event = record(graph, "vera", "query.run", target="shared-payment", source="10.0.0.1",
                   details={"rows": 3, "params": {"limit": 5}})
    rows = graph.run_text("MATCH (e:AuditEvent {event_id: $id}) RETURN e", id=event.event_id)
    assert len(rows) == 1
    stored = rows[0]["e"]
    assert stored["actor"] == "vera" and stored["action"] == "query.run"
    assert json.loads(stored["details"]) == {"params": {"limit": 5}, "rows": 3}
    lines = audit_file(graph).read_text().splitlines()
    assert len(lines) == len(before) + 1
    assert json.loads(lines[-1])["event_id"] == event.event_id
