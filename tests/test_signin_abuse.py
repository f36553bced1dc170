"""Sign-in abuse: throttling per name and per address without revealing which
names exist, sign-out everywhere, and the audit trail of every attempt."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.auth.throttle import MAX_FAILURES_PER_USER
from app.auth.users import create_user
from app.config import Settings
from app.db.graph import Graph
from app.web.app import create_app
from tests.test_web import PASSWORD, sign_in, soup


@pytest.fixture
def client(graph: Graph, neo4j_settings: Settings) -> Iterator[TestClient]:
    create_user(graph, "vera", PASSWORD, "viewer")
    with TestClient(create_app(neo4j_settings)) as test_client:
        yield test_client


def attempt(client: TestClient, username: str, password: str) -> int:
    token = soup(client.get("/login")).select_one("input[name=csrf_token]")["value"]
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token},
                       follow_redirects=False).status_code


def test_failures_throttle_real_and_unknown_names_alike(graph: Graph,
                                                        client: TestClient) -> None:
    for name in ("vera", "nobody"):
        codes = [attempt(client, name, "wrong-password!") for _ in range(MAX_FAILURES_PER_USER)]
        assert codes == [401] * MAX_FAILURES_PER_USER
    # Now even the right password waits, and the unknown name gets the same answer.
    assert attempt(client, "vera", PASSWORD) == 429
    assert attempt(client, "nobody", PASSWORD) == 429
    failed = graph.run_text("MATCH (e:AuditEvent {action: 'login.failed'}) "
                            "RETURN e.actor AS actor, e.source AS source")
    assert len(failed) == 2 * MAX_FAILURES_PER_USER and all(r["source"] for r in failed)
    assert graph.run_text("MATCH (e:AuditEvent {action: 'login.throttled'}) RETURN count(e) AS n"
                          )[0]["n"] == 2


def test_success_resets_the_count_for_the_name(graph: Graph, client: TestClient) -> None:
    for _ in range(MAX_FAILURES_PER_USER - 1):
        assert attempt(client, "vera", "wrong-password!") == 401
    assert attempt(client, "vera", PASSWORD) == 303
    assert attempt(client, "vera", "wrong-password!") == 401
    assert attempt(client, "vera", PASSWORD) == 303


def test_sign_out_everywhere_ends_other_sessions(graph: Graph, client: TestClient,
                                                 neo4j_settings: Settings) -> None:
    with TestClient(create_app(neo4j_settings)) as other:
        sign_in(client)
        sign_in(other)
        assert other.get("/", follow_redirects=False).status_code == 200
        page = soup(client.get("/settings/tokens"))
        form = page.select_one("form input[name=everywhere]").find_parent("form")
        data = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
        assert client.post("/logout", data=data, follow_redirects=False).status_code == 303
        assert other.get("/", follow_redirects=False).status_code == 303
        assert client.get("/", follow_redirects=False).status_code == 303
        # Signing in again works.
        sign_in(other)
        assert other.get("/", follow_redirects=False).status_code == 200
