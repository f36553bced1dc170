"""Admin pages: the read-only audit trail and the logins."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.audit import record
from app.auth.users import create_user
from app.config import Settings
from app.db.graph import Graph
from app.web.app import create_app
from tests.test_web import PASSWORD, sign_in, soup


@pytest.fixture
def client(graph: Graph, neo4j_settings: Settings) -> Iterator[TestClient]:
    create_user(graph, "root", PASSWORD, "admin")
    create_user(graph, "vera", PASSWORD, "viewer")
    with TestClient(create_app(neo4j_settings)) as test_client:
        yield test_client


def csrf(client: TestClient, path: str) -> str:
    return str(soup(client.get(path)).select_one("input[name=csrf_token]")["value"])


def test_audit_page_filters_and_pages(graph: Graph, client: TestClient) -> None:
    for i in range(12):
        record(graph, "ann", "query.run", target=f"q{i}", outcome="ok" if i % 3 else "refused")
    record(graph, "bob", "case.export", target="CASE-1", details={"format": "pdf"})
    sign_in(client, "root")
    page = soup(client.get("/admin/audit?action=query&outcome=refused"))
    rows = page.select("#events tbody tr")
    assert len(rows) == 4 and all("query.run" in r.text for r in rows)
    paged = client.get("/admin/audit?actor=ann&per_page=10&page=2", headers={"HX-Request": "true"})
    assert "<html" not in paged.text and len(soup(paged).select("tbody tr")) == 2
    api = client.get("/api/admin/audit?actor=bob").json()
    assert api["total"] == 1 and api["events"][0]["details"] == {"format": "pdf"}
    # The sign-in itself was audited.
    assert client.get("/api/admin/audit?action=login.ok").json()["events"][0]["actor"] == "root"
    assert client.get("/admin/audit?since=yesterday").status_code == 422


def test_viewers_cannot_see_admin_pages(client: TestClient) -> None:
    sign_in(client, "vera")
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/users").status_code == 403
    assert client.get("/api/admin/audit").status_code == 403
    token = csrf(client, "/")
    answer = client.post("/admin/users", data={"username": "eve", "role": "admin",
                                               "password": "x" * 12, "csrf_token": token})
    assert answer.status_code == 403


def test_admin_adds_demotes_and_switches_off_users(graph: Graph, client: TestClient,
                                                   neo4j_settings: Settings) -> None:
    sign_in(client, "root")
    token = csrf(client, "/admin/users")
    short = client.post("/admin/users", data={"username": "newbie", "role": "analyst",
                                              "password": "short", "csrf_token": token})
    assert short.status_code == 422 and "10 characters" in soup(short).select_one(".error").text
    made = client.post("/admin/users", data={"username": "newbie", "role": "analyst",
                                             "password": "long-enough-pass", "csrf_token": token},
                       follow_redirects=False)
    assert made.status_code == 303
    with TestClient(create_app(neo4j_settings)) as vera:
        sign_in(vera, "vera")
        assert vera.get("/", follow_redirects=False).status_code == 200
        off = client.post("/admin/users/vera", data={"active": "false", "csrf_token": token},
                          follow_redirects=False)
        assert off.status_code == 303
        assert vera.get("/", follow_redirects=False).status_code == 303, "switched off at once"
    self_demote = client.post("/admin/users/root", data={"role": "viewer", "csrf_token": token})
    assert self_demote.status_code == 422
    users = {r["username"]: r for r in graph.read("users/list_users")}
    assert users["newbie"]["role"] == "analyst" and users["vera"]["active"] is False
    actions = [e["action"] for e in client.get("/api/admin/audit?action=user.").json()["events"]]
    assert sorted(actions) == ["user.create", "user.update"]
