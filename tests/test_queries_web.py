"""The query pages, the JSON API and the CLI, in process and through the entry point,
against one data set loaded per module."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from app.auth.users import create_user
from app.config import Settings
from app.db.graph import Graph
from app.db.migrations import clear_graph
from app.detect.run import run_detection
from app.ingest import load_directory
from app.synth.generator import generate
from app.web.app import create_app
from tests.conftest import run_cli
from tests.query_attacks import ATTACKS, counts

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def loaded(driver_graph: Graph, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Graph]:
    out = tmp_path_factory.mktemp("queries-web") / "data"
    generate(out, accounts=800, seed=5)
    clear_graph(driver_graph)
    load_directory(driver_graph, out, out.parent / "r.csv", progress=False)
    run_detection(driver_graph)
    for name, role in (("vera", "viewer"), ("ana", "analyst"), ("root", "admin")):
        create_user(driver_graph, name, PASSWORD, role)
    yield driver_graph
    clear_graph(driver_graph)


@pytest.fixture
def client(loaded: Graph, neo4j_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(neo4j_settings)) as test_client:
        yield test_client


def sign_in(client: TestClient, username: str) -> str:
    """Sign in; the session's CSRF token."""
    token = soup(client.get("/login").text).select_one("input[name=csrf_token]")["value"]
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": token, "next": "/"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    page = soup(client.get("/queries").text)
    return str(page.select_one("input[name=csrf_token]")["value"]) if page.select_one(
        "input[name=csrf_token]") else token


def soup(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


def test_the_library_searches_by_text_and_category(client: TestClient) -> None:
    sign_in(client, "vera")
    page = soup(client.get("/queries").text)
    assert len(page.select("#query-list tbody tr")) >= 15
    assert page.select_one("nav a[href='/queries']")
    found = soup(client.get("/queries?q=payment+banned").text)
    titles = [a.get_text() for a in found.select("#query-list tbody tr td:first-child a")]
    assert titles and all("ayment" in t for t in titles)
    fragment = client.get("/queries?category=Networks", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert {td.get_text() for td in soup(fragment.text).select("td .badge")} == {"Networks"}
    assert not soup(client.get("/queries?q=nosuchthingatall").text).select(
        "#query-list tbody tr")


def test_a_query_page_has_a_typed_form_and_runs_from_its_url(client: TestClient) -> None:
    sign_in(client, "vera")
    page = soup(client.get("/queries/payment_shared_with_banned").text)
    limit = page.select_one("form.query-form input[name=limit]")
    assert limit["type"] == "number" and limit["max"] == "1000.0" or limit["max"] == "1000"
    assert "MATCH" in page.select_one("pre.cypher").get_text()
    assert page.select_one("input[name=run]")["value"] == "1"
    ran = soup(client.get("/queries/payment_shared_with_banned?run=1&min_open=1&limit=5").text)
    rows = ran.select("#results tbody tr")
    assert 0 < len(rows) <= 5
    assert ran.select_one("#results a[href$='/results.csv?run=1&min_open=1&limit=5']")
    fragment = client.get("/queries/payment_shared_with_banned?run=1&limit=3",
                          headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and len(soup(fragment.text).select("tbody tr")) <= 3
    bool_field = soup(client.get("/queries/token_spend_by_network").text).select_one(
        "select[name=suspected_only]")
    assert bool_field is not None


def test_a_bad_value_is_a_message_not_an_error_page(client: TestClient) -> None:
    sign_in(client, "vera")
    response = client.get("/queries/payment_shared_with_banned?run=1&limit=abc&min_open=-3")
    assert response.status_code == 200
    message = soup(response.text).select_one("#results .error").get_text()
    assert "limit: expected a whole number" in message and "min_open: at least 1" in message


def test_graph_results_come_as_nodes_and_edges_with_account_links(client: TestClient,
                                                                  loaded: Graph) -> None:
    sign_in(client, "vera")
    page = soup(client.get("/queries/payment_graph_with_banned?run=1&limit=20").text)
    data = json.loads(page.select_one("script#graph-data").string)
    assert data["nodes"] and data["edges"]
    assert {"id", "label", "type"} <= set(data["nodes"][0])
    assert {"source", "target", "type"} <= set(data["edges"][0])
    assert page.select_one("div.graph[data-graph-source=graph-data]")
    assert page.select("#results td a[href^='/accounts/']")


def test_csv_and_json_downloads(client: TestClient) -> None:
    sign_in(client, "vera")
    response = client.get("/queries/token_spend_by_network/results.csv?suspected_only=true")
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][0] == "network" and len(rows) > 1
    data = client.get("/queries/token_spend_by_network/results.json").json()
    assert data["columns"][0] == "network" and data["rows"]
    exported = client.get("/queries/token_spend_by_network/export.cypher")
    assert exported.text.startswith("// title: Token spend by network")


def test_viewers_cannot_write_queries_and_only_admins_set_limits(client: TestClient) -> None:
    sign_in(client, "vera")
    assert client.get("/queries/new").status_code == 403
    assert client.get("/queries/adhoc?cypher=RETURN+1&run=1").status_code == 403
    assert client.get("/queries/limits").status_code == 403
    assert client.get("/api/queries/payment_shared_with_banned").json()["cypher"]


def test_limits_are_shown_and_admins_change_them(client: TestClient, loaded: Graph) -> None:
    token = sign_in(client, "root")
    page = soup(client.get("/queries/limits").text)
    assert page.select_one("input[name=max_rows]")
    bad = client.post("/queries/limits", data={"csrf_token": token, "timeout_seconds": "5",
                                               "max_rows": "999999999", "max_bytes": "100000"})
    assert bad.status_code == 422 and "row cap" in bad.text
    ok = client.post("/queries/limits", data={"csrf_token": token, "timeout_seconds": "5",
                                              "max_rows": "3", "max_bytes": "100000"},
                     follow_redirects=False)
    assert ok.status_code == 303
    ran = soup(client.get("/queries/template_reuse?run=1&min_accounts=2").text)
    assert len(ran.select("#results tbody tr")) == 3
    assert "at most 3 rows" in ran.select_one(".limits").get_text()
    assert "row cap" in ran.select_one(".warning").get_text()
    loaded.run_text("MATCH (l:QueryLimits) DELETE l")


def test_analysts_write_run_save_edit_and_delete_own_queries(client: TestClient) -> None:
    token = sign_in(client, "ana")
    adhoc = client.get("/queries/adhoc", params={
        "run": "1", "cypher": "MATCH (a:Account) WHERE a.sessions >= $n "
                              "RETURN a.account_id AS account LIMIT 5",
        "params": "n int = 3"})
    rows = soup(adhoc.text).select("#results tbody tr")
    assert 0 < len(rows) <= 5
    csv_link = soup(adhoc.text).select_one("#results a[href^='/queries/adhoc/results.csv?']")
    downloaded = client.get(csv_link["href"])
    assert downloaded.text.startswith("account\n") and len(downloaded.text.splitlines()) > 1
    saved = client.post("/queries/new", data={
        "csrf_token": token, "title": "Busy accounts", "description": "Many sessions",
        "category": "Mine", "params": "n int(1..) = 3 -- Sessions at least",
        "cypher": "MATCH (a:Account) WHERE a.sessions >= $n RETURN a.account_id AS account "
                  "LIMIT 5"}, follow_redirects=False)
    assert saved.status_code == 303
    url = saved.headers["location"]
    query_id = url.rsplit("/", 1)[-1]
    page = soup(client.get(url + "?run=1&n=2").text)
    assert page.select("#results tbody tr")
    edited = client.post(url + "/edit", data={
        "csrf_token": token, "title": "Busy accounts", "category": "Mine", "shared": "true",
        "params": "n int = 4", "cypher": "MATCH (a:Account) WHERE a.sessions >= $n "
                                         "RETURN a.account_id AS account LIMIT 7"},
        follow_redirects=False)
    assert edited.status_code == 303
    page = soup(client.get(url).text)
    assert "version 2" in page.get_text() and "LIMIT 5" in page.get_text()
    refused = client.post(url + "/edit", data={
        "csrf_token": token, "title": "x", "cypher": "MATCH (n) DETACH DELETE n RETURN 1"})
    assert refused.status_code == 422
    assert "refused" in soup(refused.text).select_one("#results .error").get_text()
    exported = client.get(f"/queries/{query_id}/export.cypher").text
    imported = client.post("/queries/import", data={"csrf_token": token},
                           files={"file": ("q.cypher", exported.encode(), "text/plain")},
                           follow_redirects=False)
    assert imported.status_code == 303
    listed = client.get("/api/queries").json()["queries"]
    assert query_id in {q["name"] for q in listed}
    assert client.post(url + "/delete", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    assert client.get(url).status_code == 404
    bad = client.post("/queries/import", data={"csrf_token": token},
                      files={"file": ("q.cypher", b"MATCH (n) RETURN n", "text/plain")})
    assert bad.status_code == 422 and "title" in bad.text


def test_attacks_are_refused_through_the_web_and_the_api(client: TestClient,
                                                         loaded: Graph) -> None:
    token = sign_in(client, "ana")
    before = counts(loaded)
    for attack in ATTACKS:
        page = client.get("/queries/adhoc", params={"run": "1", "cypher": attack})
        assert page.status_code == 200
        message = soup(page.text).select_one("#results .error")
        assert message is not None and "refused" in message.get_text(), attack
        api = client.post("/api/queries/run", json={"cypher": attack},
                          headers={"X-CSRF-Token": token})
        assert api.status_code == 403, (attack, api.text)
        assert "refused" in api.json()["detail"]
    assert counts(loaded) == before
    assert client.post("/api/queries/run", json={"cypher": "RETURN 1"}).status_code == 403
    ok = client.post("/api/queries/run", json={"cypher": "RETURN $x AS x", "params": {"x": 2}},
                     headers={"X-CSRF-Token": token}).json()
    assert ok["rows"] == [{"x": 2}]


def test_the_api_lists_gets_and_runs(client: TestClient) -> None:
    assert client.get("/api/queries").status_code == 401
    sign_in(client, "vera")
    listed = client.get("/api/queries?category=Payments").json()
    assert listed["total"] >= 2
    ran = client.get("/api/queries/template_reuse/run?min_accounts=2&limit=4").json()
    assert ran["row_count"] <= 4 and ran["columns"][0] == "template"
    bad = client.get("/api/queries/template_reuse/run?limit=0")
    assert bad.status_code == 422 and "limit" in bad.json()["detail"]
    assert client.get("/api/queries/nothing_here").status_code == 404
    assert client.post("/api/queries/run", json={"cypher": "RETURN 1"}).status_code == 403


def test_the_cli_lists_runs_and_refuses(loaded: Graph, server_env: dict[str, str]) -> None:
    listed = run_cli("query", "list", env=server_env)
    assert listed.returncode == 0 and "payment_shared_with_banned" in listed.stdout
    ran = run_cli("query", "run", "template_reuse", "-p", "min_accounts=2", "-p", "limit=3",
                  "--json", env=server_env)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["row_count"] <= 3
    text = run_cli("query", "run", "token_spend_by_network", env=server_env)
    assert text.returncode == 0 and text.stdout.startswith("network\t")
    adhoc = run_cli("query", "run", "--cypher", "RETURN $x AS x", "-p", "x=41", "--json",
                    env=server_env)
    assert json.loads(adhoc.stdout)["rows"] == [{"x": 41}]
    bad = run_cli("query", "run", "template_reuse", "-p", "limit=lots", env=server_env)
    assert bad.returncode != 0 and "limit: expected a whole number" in bad.stderr
    before = counts(loaded)
    for attack in ATTACKS[:12] + ["match (n) detach delete n", "// MATCH\nCREATE (n)",
                                  "RETURN 1; CREATE (n)", "SHOW USERS"]:
        refused = run_cli("query", "run", "--cypher", attack, env=server_env)
        assert refused.returncode != 0, attack
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and "refused" in lines[0], refused.stderr
    assert counts(loaded) == before
    slow = run_cli("query", "run", "--cypher",
                   "UNWIND range(1, 100000000) AS x WITH x WHERE x = -1 RETURN x",
                   env={**server_env, "HYDRASCOPE_QUERY_TIMEOUT": "1"})
    assert slow.returncode != 0 and "timeout" in slow.stderr


def test_unknown_names_are_404(client: TestClient) -> None:
    sign_in(client, "vera")
    assert client.get("/queries/nothing_here").status_code == 404
    assert client.get("/queries/q-0123456789").status_code == 404
    assert client.get("/queries/template_reuse/results.xml").status_code == 404


def test_library_names_do_not_collide_with_pages() -> None:
    from app.queries.library import load_library

    names = {q.name for q in load_library(Path(__file__).resolve().parent.parent / "cypher")}
    assert not names & {"new", "adhoc", "limits", "import"}
