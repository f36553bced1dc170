"""Case pages, forms, exports and the cases JSON API, in process against the real Neo4j."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from pypdf import PdfReader

from app import cases, explore
from app.auth.users import create_user
from app.config import Settings
from app.db.graph import Graph
from app.web.app import create_app
from tests.conftest import detected_world

PASSWORD = "correct horse battery"
NOTE = "<script>alert(1)</script> **bold** [x](javascript:alert(1))"


@pytest.fixture(scope="module")
def loaded(driver_graph: Graph, tmp_path_factory: pytest.TempPathFactory) -> Graph:
    detected_world(driver_graph, tmp_path_factory.mktemp("cases-web"))
    for name, role in (("vera", "viewer"), ("ana", "analyst"), ("adam", "admin")):
        create_user(driver_graph, name, PASSWORD, role)
    return driver_graph


@pytest.fixture
def client(neo4j_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(neo4j_settings)) as test_client:
        yield test_client


def soup(response: object) -> BeautifulSoup:
    return BeautifulSoup(getattr(response, "text"), "html.parser")  # noqa: B009


def sign_in(client: TestClient, username: str) -> str:
    token = soup(client.get("/login")).select_one("input[name=csrf_token]")["value"]
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": token, "next": "/"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return str(soup(client.get("/")).select_one("input[name=csrf_token]")["value"])


def top_network(graph: Graph) -> str:
    run = explore.latest_run(graph)
    assert run
    return str(explore.list_networks(graph, run["run_id"], suspected_only=True, min_score=0,
                                     min_size=1, sort="size", descending=True, page=1,
                                     per_page=1).rows[0]["network_id"])


def test_viewers_get_403_and_strangers_sign_in(loaded: Graph, client: TestClient) -> None:
    assert client.get("/cases", follow_redirects=False).status_code == 303
    assert client.get("/api/cases").status_code == 401
    sign_in(client, "vera")
    assert client.get("/cases").status_code == 403
    assert client.get("/api/cases").status_code == 403
    assert client.get("/cases/CASE-00001").status_code == 403
    network = soup(client.get(f"/networks/{top_network(loaded)}"))
    assert network.select_one("form.open-case") is None
    assert not [a for a in soup(client.get("/")).select(".topbar nav a") if a.text == "Cases"]


def test_open_a_case_from_the_network_page_and_work_it(loaded: Graph,
                                                       client: TestClient) -> None:
    token = sign_in(client, "ana")
    network_id = top_network(loaded)
    page = soup(client.get(f"/networks/{network_id}"))
    form = page.select_one("form.open-case")
    assert form is not None and form["action"] == "/cases"
    fields = {i["name"]: i.get("value", "") for i in form.select("input")}
    assert fields["network_id"] == network_id
    # Without the token the form is refused.
    refused = client.post("/cases", data={**fields, "csrf_token": "nope"})
    assert refused.status_code == 403
    opened = client.post("/cases", data=fields, follow_redirects=False)
    assert opened.status_code == 303
    url = opened.headers["location"]
    case_id = url.rsplit("/", 1)[1]
    again = client.post("/cases", data=fields, follow_redirects=False)
    assert again.headers["location"] == url, "a network has one case in progress"

    case = soup(client.get(url))
    assert case.select_one("h1").get_text(" ", strip=True).startswith(f"Network {network_id}")
    members = case.select("#members tbody tr")
    assert members and len(members) == min(50, cases.get_case(loaded, case_id)["members_count"])
    rows = case.select("#entities tbody tr")
    assert rows
    # Every shared entity links to its page (kinds stored as "ip" too).
    links = [row.select("td")[1].select_one("a") for row in rows]
    assert all(link is not None and link["href"].startswith("/") for link in links)
    addresses = [link for row, link in zip(rows, links, strict=True)
                 if row.select("td")[0].text == "Address"]
    assert addresses and all(a["href"].startswith("/addresses/") for a in addresses)
    assert client.get(addresses[0]["href"]).status_code == 200
    assert {a.text for a in case.select(".exports a")} >= {"PDF dossier", "STIX 2.1"}

    client.post(f"{url}/update", data={"csrf_token": token, "status": "confirmed",
                                       "priority": "critical", "assignee": "ana",
                                       "title": "Hydra A"})
    client.post(f"{url}/notes", data={"csrf_token": token, "body": NOTE})
    case = soup(client.get(url))
    assert "Hydra A" in case.select_one("h1").text and "Confirmed" in case.select_one("h1").text
    note = case.select_one("#notes .note-body")
    assert note.select("script") == [] and "<script>alert(1)</script>" in note.text
    assert note.select_one("strong").text == "bold"
    assert not [a for a in note.select("a") if "javascript" in a.get("href", "")]
    timeline = case.select_one("#timeline").get_text(" ", strip=True)
    assert "opened the case" in timeline and "added a note" in timeline
    assert "status from “open” to “confirmed”" in timeline

    first = case.select_one("#members tbody tr td a").text
    removed = client.post(f"{url}/accounts", data={"csrf_token": token, "account_ids": first,
                                                   "action": "remove"}, follow_redirects=False)
    assert removed.status_code == 303
    case = soup(client.get(url))
    assert first not in [a.text for a in case.select("#members tbody tr td a")]
    unlink = {i["name"]: i["value"] for i in case.select("#entities tbody form input")[:4]}
    assert unlink["action"] == "remove"
    client.post(f"{url}/entities", data={**unlink, "csrf_token": token})
    keys = [row.select("td")[1].get_text(strip=True)
            for row in soup(client.get(url)).select("#entities tbody tr")]
    assert keys and unlink["key"] not in keys
    bad = client.post(f"{url}/entities", data={"csrf_token": token, "kind": "ip",
                                               "key": "203.0.113.254"})
    assert bad.status_code == 422 and "no ip" in bad.text

    listing = soup(client.get("/cases?status=confirmed&assignee=ana"))
    assert [a.text for a in listing.select("#cases tbody tr td:first-child a")] == [case_id]
    assert soup(client.get("/cases?status=closed")).select_one("#cases .empty")
    fragment = client.get("/cases?sort=members&order=asc", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'id="cases"' in fragment.text

    pdf = client.get(f"{url}/export/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Hydra A" in text and "<script>alert(1)</script>" in text
    assert pdf.headers["x-content-sha256"] in text.replace("\n", "")
    stix = client.get(f"{url}/export/stix")
    assert stix.status_code == 200 and '"type": "bundle"' in stix.text
    assert client.get(f"{url}/export/evil").status_code == 422
    assert client.get("/cases/CASE-99999").status_code == 404


def test_case_api_and_pinning_evidence(loaded: Graph, client: TestClient) -> None:
    token = sign_in(client, "adam")
    ids = [r["id"] for r in loaded.run_text(
        "MATCH (a:Account) RETURN a.account_id AS id ORDER BY id LIMIT 4")]
    created = client.post("/api/cases", json={"title": "Picked by hand", "account_ids": ids},
                          headers={"X-CSRF-Token": token})
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    pinned = client.post(f"/api/cases/{case_id}/evidence", headers={"X-CSRF-Token": token},
                         json={"title": "Top proxies", "cypher": "MATCH (n) RETURN n LIMIT $k",
                               "params": {"k": 3}, "columns": ["n"], "rows": [[1], [2]],
                               "ran_at": "2026-01-01T00:00:00+00:00"})
    assert pinned.status_code == 201, pinned.text
    assert client.post(f"/api/cases/{case_id}/evidence", json={"title": "x", "ran_at": "y"}
                       ).status_code == 403
    body = client.get(f"/api/cases/{case_id}").json()
    assert sorted(m["account_id"] for m in body["members"]) == ids
    assert body["evidence"][0]["title"] == "Top proxies" and len(body["sha256"]) == 64
    assert [e["action"] for e in body["timeline"]][:2] == ["case.create", "case.evidence.pin"]
    listed = client.get("/api/cases").json()
    assert case_id in [c["case_id"] for c in listed["cases"]]
    page = soup(client.get(f"/cases/{case_id}"))
    assert "Top proxies" in page.select_one("#evidence").text
    form = soup(client.get("/cases")).select_one("form.open-accounts")
    opened = client.post(form["action"], data={"csrf_token": token, "title": "Two by hand",
                                               "account_ids": f"{ids[0]},\n{ids[1]}"},
                         follow_redirects=False)
    assert opened.status_code == 303
    two = client.get("/api" + opened.headers["location"]).json()
    assert sorted(m["account_id"] for m in two["members"]) == ids[:2]
    assert client.get("/api/cases/CASE-99999").status_code == 404
