"""Alerts in the web app: assigning, the network page's alert history, and the
admin page of webhook deliveries that failed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.alerts import new_alert, store
from app.alerts.webhook import ATTEMPTS, deliver_due
from app.auth.users import create_user
from app.config import Settings
from app.db.graph import Graph
from app.web.app import create_app
from tests.test_admin import csrf
from tests.test_web import PASSWORD, sign_in, soup


@pytest.fixture
def client(graph: Graph, neo4j_settings: Settings) -> Iterator[TestClient]:
    create_user(graph, "root", PASSWORD, "admin")
    create_user(graph, "ana", PASSWORD, "analyst")
    create_user(graph, "vera", PASSWORD, "viewer")
    with TestClient(create_app(neo4j_settings)) as test_client:
        yield test_client


def raise_one(graph: Graph, kind: str, network: str | None, accounts: list[str],
              webhook: bool = False) -> str:
    graph.run_text("UNWIND $ids AS id MERGE (:Account {account_id: id})", ids=accounts)
    alert = new_alert(kind, network, accounts, [f"{kind} about {network}"], "0001", None)
    store(graph, alert, "run", "r1", webhook=webhook)
    return alert.alert_id


def test_analysts_assign_alerts_and_filter_by_assignee(graph: Graph, client: TestClient) -> None:
    first = raise_one(graph, "new_head", "HN-00001", ["a1"])
    second = raise_one(graph, "new_network", "HN-00002", ["a2", "a3"])
    sign_in(client, "ana")
    token = csrf(client, "/alerts")
    answer = client.post(f"/alerts/{first}/assign", data={"assignee": "me", "csrf_token": token},
                         follow_redirects=False)
    assert answer.status_code == 303
    mine = soup(client.get("/alerts?assigned=me"))
    assert [r["id"] for r in mine.select("tr.alert-row")] == [f"alert-{first}"]
    nobody = soup(client.get("/alerts?assigned=nobody"))
    assert [r["id"] for r in nobody.select("tr.alert-row")] == [f"alert-{second}"]
    row = soup(client.get("/alerts")).select_one(f"#alert-{first}")
    assert row is not None and "ana" in row.text and "Unassign" in row.text
    # To someone else, by name; an unknown login is refused with a reason.
    assert client.post(f"/alerts/{second}/assign", data={"assignee": "root",
                                                         "csrf_token": token},
                       follow_redirects=False).status_code == 303
    refused = client.post(f"/alerts/{second}/assign", data={"assignee": "nobody-here",
                                                            "csrf_token": token})
    assert refused.status_code == 422 and "no active login" in refused.text
    missing = client.post("/alerts/al-nope/assign", data={"assignee": "me", "csrf_token": token})
    assert missing.status_code == 404
    audited = graph.run_text("MATCH (e:AuditEvent {action: 'alert.assign'}) RETURN count(e) AS n")
    assert audited[0]["n"] == 2
    # Unassign.
    client.post(f"/alerts/{first}/assign", data={"assignee": "", "csrf_token": token})
    assert not soup(client.get("/alerts?assigned=me")).select("tr.alert-row")
    # Viewers read, never assign.
    sign_in(client, "vera")
    assert client.post(f"/alerts/{first}/assign",
                       data={"assignee": "me", "csrf_token": csrf(client, "/alerts")}
                       ).status_code == 403


def test_the_alerts_of_one_network_are_listed(graph: Graph, client: TestClient) -> None:
    ids = [raise_one(graph, "new_head", "HN-00007", [f"h{i}"]) for i in range(3)]
    raise_one(graph, "new_head", "HN-00008", ["other"])
    sign_in(client, "vera")
    page = soup(client.get("/alerts?status=&network=HN-00007"))
    assert sorted(r["id"] for r in page.select("tr.alert-row")) == sorted(
        f"alert-{i}" for i in ids)
    assert "network HN-00007 only" in page.text


def test_the_admin_page_shows_webhook_deliveries_that_failed(graph: Graph,
                                                             client: TestClient) -> None:
    alert_id = raise_one(graph, "new_network", "HN-00003", ["x1"], webhook=True)
    delivered = raise_one(graph, "new_head", "HN-00003", ["x2"], webhook=False)
    nowhere = "http://127.0.0.1:9/hook"
    for _ in range(ATTEMPTS):  # every retry due at once: the clock is moved on
        graph.run_text("MATCH (al:Alert {alert_id: $id}) SET al.webhook_next_at = null",
                       id=alert_id)
        deliver_due(graph, nowhere)
    state = graph.run_text("MATCH (al:Alert {alert_id: $id}) RETURN al.webhook AS w, "
                           "al.webhook_attempts AS n", id=alert_id)[0]
    assert state == {"w": "failed", "n": ATTEMPTS}
    sign_in(client, "root")
    page = soup(client.get("/admin/webhook"))
    rows = page.select("tbody tr")
    assert len(rows) == 1 and alert_id in rows[0].text and "given up" in rows[0].text
    assert delivered not in page.text
    token = csrf(client, "/admin/webhook")
    answer = client.post(f"/admin/webhook/{alert_id}/retry", data={"csrf_token": token},
                         follow_redirects=False)
    assert answer.status_code == 303
    again = graph.run_text("MATCH (al:Alert {alert_id: $id}) RETURN al.webhook AS w, "
                           "al.webhook_attempts AS n", id=alert_id)[0]
    assert again == {"w": "pending", "n": 0}
    assert client.post(f"/admin/webhook/{alert_id}/retry",
                       data={"csrf_token": token}).status_code == 404
    sign_in(client, "ana")
    assert client.get("/admin/webhook").status_code == 403
