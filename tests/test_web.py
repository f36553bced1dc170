"""The investigator pages and the JSON API, in process against the real Neo4j."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from neo4j import READ_ACCESS
from neo4j.exceptions import TransientError

from app.auth.users import create_user
from app.config import Settings
from app.db.graph import READ_RETRY_PAUSES, Graph
from app.detect.run import run_detection
from app.ingest import load_directory
from app.synth.generator import generate
from app.web.app import create_app
from tests.routes import all_routes

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("web") / "data"
    generate(out, accounts=800, seed=5)
    return out


@pytest.fixture
def loaded(graph: Graph, data: Path, tmp_path: Path) -> Graph:
    load_directory(graph, data, tmp_path / "r.csv", progress=False)
    run_detection(graph)
    create_user(graph, "vera", PASSWORD, "viewer")
    return graph


@pytest.fixture
def client(neo4j_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(neo4j_settings)) as test_client:
        yield test_client


def sign_in(client: TestClient, username: str = "vera", password: str = PASSWORD) -> None:
    form = BeautifulSoup(client.get("/login").text, "html.parser")
    token = form.select_one("input[name=csrf_token]")["value"]
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": token, "next": "/"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


def soup(response: object) -> BeautifulSoup:
    return BeautifulSoup(getattr(response, "text"), "html.parser")  # noqa: B009


def test_every_page_and_api_route_needs_sign_in(loaded: Graph, client: TestClient) -> None:
    open_paths = {"/login", "/healthz", "/openapi.json", "/about"}
    routes = all_routes(client.app.routes)  # type: ignore[attr-defined]
    assert len(routes) > 30
    for route in routes:
        path = getattr(route, "path", "")
        methods = getattr(route, "methods", None) or set()
        if not path or path in open_paths or path.startswith(("/static", "/vendor")):
            continue
        if "GET" not in methods:
            continue
        url = (path.replace("{network_id}", "HN-00001").replace("{account_id}", "x")
               .replace("{key:path}", "x"))
        response = client.get(url, follow_redirects=False)
        if path.startswith(("/api/", "/taxii2")):
            # JSON clients (the API, partners over TAXII) get 401, never a login page.
            assert response.status_code == 401, path
        else:
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/login?next=")


def test_wrong_password_says_the_same_for_unknown_users(loaded: Graph,
                                                        client: TestClient) -> None:
    token = soup(client.get("/login")).select_one("input[name=csrf_token]")["value"]
    wrong = client.post("/login", data={"username": "vera", "password": "nope-nope-nope",
                                        "csrf_token": token})
    unknown = client.post("/login", data={"username": "nobody", "password": "nope-nope-nope",
                                          "csrf_token": token})
    assert wrong.status_code == unknown.status_code == 401
    assert soup(wrong).select_one(".error").text == soup(unknown).select_one(".error").text


def test_dashboard_lists_suspected_networks_with_reasons(loaded: Graph,
                                                         client: TestClient) -> None:
    sign_in(client)
    page = soup(client.get("/"))
    rows = page.select("#networks tbody tr")
    assert rows, "no suspected network listed"
    first = rows[0]
    assert first.select_one("a")["href"].startswith("/networks/HN-")
    assert "flagged" in first["class"]
    assert first.select_one(".reasons").get_text(strip=True)
    stats = [s.get_text(" ", strip=True) for s in page.select(".summary .stat")]
    assert any("suspected networks" in s for s in stats)


def test_dashboard_fragment_comes_from_the_same_url(loaded: Graph, client: TestClient) -> None:
    sign_in(client)
    fragment = client.get("/?sort=size&order=asc", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    tree = soup(fragment)
    sizes = [int(td.text.replace(",", "")) for td in tree.select("tbody tr td:nth-of-type(3)")]
    assert sizes == sorted(sizes)
    full = client.get("/?sort=size&order=asc")
    assert "<html" in full.text and 'id="networks"' in full.text


def test_bad_parameters_are_4xx_with_a_reason(loaded: Graph, client: TestClient) -> None:
    sign_in(client)
    for url in ("/?sort=evil", "/?page=0", "/?min_score=2", "/networks/HN-00001?per_page=x"):
        response = client.get(url)
        assert response.status_code == 422, url
        assert "Bad request" in response.text
    api = client.get("/api/networks?order=sideways")
    assert api.status_code == 422 and api.json()["detail"]


def test_network_page_explains_and_pages_members(loaded: Graph, client: TestClient) -> None:
    sign_in(client)
    link = soup(client.get("/")).select_one("#networks tbody tr a")["href"]
    page = soup(client.get(link))
    assert page.select(".evidence tbody tr"), "no evidence shown"
    members = page.select("#members tbody tr")
    assert members
    account_link = members[0].select_one("a")["href"]
    assert account_link.startswith("/accounts/")
    fragment = client.get(link + "&sort=sessions&order=desc&per_page=10",
                          headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    sessions = [int(td.text.replace(",", ""))
                for td in soup(fragment).select("tbody tr td:nth-of-type(4)")]
    assert sessions == sorted(sessions, reverse=True) and len(sessions) <= 10
    account = soup(client.get(account_link))
    assert account.select_one("h1").get_text().startswith(account_link.split("/")[-1])
    assert account.select("a[href^='/networks/']"), "the account links back to its network"


def test_unknown_ids_are_404_pages(loaded: Graph, client: TestClient) -> None:
    sign_in(client)
    for url in ("/networks/HN-99999", "/accounts/no-such-account"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Not found" in response.text
    assert client.get("/api/accounts/no-such-account").status_code == 404


def test_api_mirrors_the_pages(loaded: Graph, client: TestClient) -> None:
    sign_in(client)
    networks = client.get("/api/networks").json()
    assert networks["total"] >= 1
    first = networks["networks"][0]["network_id"]
    detail = client.get(f"/api/networks/{first}").json()
    assert detail["network_id"] == first and detail["features"]
    members = client.get(f"/api/networks/{first}/members?per_page=5").json()
    assert len(members["members"]) <= 5 and members["total"] == detail["size"]
    account = client.get(f"/api/accounts/{members['members'][0]['account_id']}").json()
    assert account["networks"][0]["network_id"] == first
    assert "/api/networks" in client.get("/openapi.json").json()["paths"]


def test_sign_out_needs_the_csrf_token(loaded: Graph, client: TestClient) -> None:
    sign_in(client)
    assert client.post("/logout", follow_redirects=False).status_code == 403
    token = soup(client.get("/")).select_one("form[action='/logout'] input")["value"]
    assert client.post("/logout", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_empty_state_before_any_run(graph: Graph, client: TestClient) -> None:
    create_user(graph, "vera", PASSWORD, "viewer")
    sign_in(client)
    page = soup(client.get("/"))
    assert "No detection run yet" in page.select_one("h1").text


class FlakyReads:
    """The app's real graph, whose next `failures` reads fail first as a transient
    server error would (Neo4j out of transaction memory for a moment)."""

    def __init__(self, graph: Graph, failures: int):
        self.real_session = graph.session
        self.failures = failures

    @contextmanager
    def session(self, **kwargs: Any) -> Iterator[Any]:
        with self.real_session(**kwargs) as session:
            if self.failures > 0 and kwargs.get("default_access_mode") == READ_ACCESS:
                self.failures -= 1
                raise TransientError("The allocation of an extra 2.0 MiB would use more "
                                     "than the limit 2.1 GiB")
            yield session


def test_a_busy_graph_is_retried_then_answered_503(loaded: Graph, client: TestClient,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    sign_in(client)
    graph: Graph = client.app.state.graph  # type: ignore[attr-defined]
    flaky = FlakyReads(graph, failures=len(READ_RETRY_PAUSES))
    monkeypatch.setattr(graph, "session", flaky.session)
    assert client.get("/").status_code == 200         # the retries got through
    assert flaky.failures == 0
    for url, wants_json in (("/", False), ("/api/networks", True)):
        flaky.failures = len(READ_RETRY_PAUSES) + 1   # one more than is retried
        answer = client.get(url)
        assert answer.status_code == 503 and answer.headers["retry-after"] == "2"
        text = answer.json()["detail"] if wants_json else soup(answer).select_one("h1").text
        assert "busy" in text.lower()
    assert client.get("/").status_code == 200
