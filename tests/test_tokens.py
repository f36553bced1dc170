"""API tokens: made by the CLI or the settings page, accepted as Bearer, revocable."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.auth.tokens import create_token
from app.auth.users import create_user
from app.config import Settings
from app.db.graph import Graph
from app.web.app import create_app
from tests.conftest import run_cli
from tests.test_web import PASSWORD, sign_in, soup


@pytest.fixture
def client(graph: Graph, neo4j_settings: Settings) -> Iterator[TestClient]:
    create_user(graph, "vera", PASSWORD, "viewer")
    with TestClient(create_app(neo4j_settings)) as test_client:
        yield test_client


def test_bearer_token_reaches_the_api_and_nothing_else_does(graph: Graph,
                                                            client: TestClient) -> None:
    token = create_token(graph, "vera", "nightly export")
    ok = client.get("/api/networks", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and ok.json()["networks"] == []
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "hs_0000000000000000_" + "x" * 43,
                "garbage", token + "x"):
        response = client.get("/api/networks", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401, bad
    # A bad token never falls back to the session cookie.
    sign_in(client)
    assert client.get("/api/networks", headers={"Authorization": "Bearer nope"}).status_code \
        == 401


def test_tokens_page_creates_shows_once_and_revokes(graph: Graph, client: TestClient) -> None:
    sign_in(client)
    page = soup(client.get("/settings/tokens"))
    csrf = page.select_one("form[action='/settings/tokens'] input[name=csrf_token]")["value"]
    assert client.post("/settings/tokens", data={"label": "x"}).status_code == 403
    created = soup(client.post("/settings/tokens", data={"label": "my script",
                                                         "csrf_token": csrf}))
    token = created.select_one("#new-token")["value"]
    assert client.get("/api/networks", headers={"Authorization": f"Bearer {token}"}) \
        .status_code == 200
    again = soup(client.get("/settings/tokens"))
    assert token not in str(again), "the secret is shown only once"
    revoke = again.select_one("form[action$='/revoke']")["action"]
    assert client.post(revoke, data={"csrf_token": csrf}, follow_redirects=False) \
        .status_code == 303
    assert client.get("/api/networks", headers={"Authorization": f"Bearer {token}"}) \
        .status_code == 401
    empty_label = client.post("/settings/tokens", data={"label": " ", "csrf_token": csrf})
    assert empty_label.status_code == 422 and "label" in soup(empty_label).select_one(
        ".error").text


def test_cli_prints_a_working_token(graph: Graph, client: TestClient,
                                    server_env: dict[str, str]) -> None:
    made = run_cli("user", "token", "vera", "--label", "ci", env=server_env)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert client.get("/api/networks", headers={"Authorization": f"Bearer {token}"}) \
        .status_code == 200
    missing = run_cli("user", "token", "nobody", "--label", "ci", env=server_env)
    assert missing.returncode != 0 and "nobody" in missing.stderr
