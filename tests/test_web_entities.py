"""Network panels, the graph view's data, entity pages and search, in process
against the real Neo4j (one generated data set for the module)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from app.auth.users import create_user
from app.config import Settings
from app.db.graph import Graph
from app.db.migrations import clear_graph
from app.detect.run import run_detection
from app.ingest import load_directory
from app.kinds import ENTITY_KINDS
from app.synth.generator import generate
from app.web.app import create_app
from tests.test_web import PASSWORD, sign_in, soup


@pytest.fixture(scope="module")
def loaded_once(driver_graph: Graph, tmp_path_factory: pytest.TempPathFactory) -> Graph:
    out = tmp_path_factory.mktemp("entities") / "data"
    generate(out, accounts=800, seed=5)
    clear_graph(driver_graph)
    load_directory(driver_graph, out, out.parent / "rejects.csv", progress=False)
    run_detection(driver_graph)
    create_user(driver_graph, "vera", PASSWORD, "viewer")
    return driver_graph


@pytest.fixture
def client(loaded_once: Graph, neo4j_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(neo4j_settings)) as test_client:
        sign_in(test_client)
        yield test_client


def top_network(client: TestClient) -> str:
    return str(client.get("/api/networks?sort=size").json()["networks"][0]["network_id"])


def test_network_panels_come_as_page_and_fragment(client: TestClient) -> None:
    network = top_network(client)
    page = soup(client.get(f"/networks/{network}"))
    lazy = {div["hx-get"].split("?")[0] for div in page.select("div.lazy[hx-get]")}
    assert lazy == {f"/networks/{network}/infrastructure", f"/networks/{network}/activity"}
    # Without scripts the panels are plain links.
    assert all(div.select_one("a[href]") for div in page.select("div.lazy"))
    for panel in lazy:
        full = client.get(panel)
        fragment = client.get(panel, headers={"HX-Request": "true"})
        assert full.status_code == fragment.status_code == 200
        assert "<html" in full.text and "<html" not in fragment.text
    shared = soup(client.get(f"/networks/{network}/infrastructure",
                             headers={"HX-Request": "true"}))
    counts = [int(td.text.replace(",", "")) for td in
              shared.select("table.compact")[0].select("tbody td:nth-of-type(2)")]
    assert counts and counts == sorted(counts, reverse=True) and min(counts) >= 2
    assert shared.select("a[href^='/addresses/']"), "shared addresses link to their pages"
    activity = soup(client.get(f"/networks/{network}/activity",
                               headers={"HX-Request": "true"}))
    cells = activity.select("table.heatmap tbody td")
    assert cells and len(cells) % 24 == 0
    assert any(c["class"] != ["s0"] for c in cells), "the heatmap shows some activity"


def test_graph_data_links_every_node_and_collapses(client: TestClient) -> None:
    network = top_network(client)
    size = client.get(f"/api/networks/{network}").json()["size"]
    picture = client.get(f"/api/networks/{network}/graph").json()
    ids = {n["id"] for n in picture["nodes"]}
    assert picture["nodes"] and all(n["href"] for n in picture["nodes"])
    assert all(e["source"] in ids and e["target"] in ids for e in picture["edges"])
    assert picture["accounts"] == size
    small = client.get(f"/api/networks/{network}/graph?max_nodes=20").json()
    if size + 1 > 20:
        assert small["collapsed"] and len(small["nodes"]) <= 21
    assert client.get(f"/api/networks/{network}/graph?max_nodes=5").status_code == 422


def test_every_kind_of_entity_has_a_page_linking_back(client: TestClient) -> None:
    network = top_network(client)
    shared = client.get(f"/api/networks/{network}/infrastructure").json()["shared"]
    seen = set()
    for kind, rows in shared.items():
        if kind not in ENTITY_KINDS:
            continue
        key = rows[0]["key"]
        url = rows[0]["href"]
        # Masked kinds (payment tokens) link by an opaque token, the rest by value.
        assert url == ENTITY_KINDS[kind].path + quote(key, safe="") or url.startswith(
            ENTITY_KINDS[kind].path + "~")
        page = client.get(url)
        assert page.status_code == 200, url
        tree = soup(page)
        assert key in tree.select_one("h1").text
        accounts = tree.select("#accounts tbody tr")
        assert len(accounts) >= rows[0]["members"], url
        assert tree.select(f"a[href^='/networks/{network}']"), "links to the network"
        fragment = client.get(url + "?page=1&per_page=10", headers={"HX-Request": "true"})
        assert "<html" not in fragment.text and len(soup(fragment).select("tbody tr")) <= 10
        api = client.get("/api" + url).json()
        assert api["total_accounts"] == len(accounts) or api["total_accounts"] >= 100
        seen.add(kind)
    assert {"address", "prefix", "asn"} <= seen


def test_address_page_links_prefix_and_asn(client: TestClient) -> None:
    network = top_network(client)
    address = client.get(f"/api/networks/{network}/infrastructure").json()["shared"][
        "address"][0]["key"]
    tree = soup(client.get(f"/addresses/{quote(address, safe='')}"))
    assert tree.select_one("a[href^='/prefixes/']")
    detail = client.get(f"/api/addresses/{quote(address, safe='')}").json()
    assert detail["prefix"] and detail["networks"]


def test_unknown_or_malformed_entities_are_404(client: TestClient) -> None:
    for url in ("/addresses/10.255.255.254", "/addresses/not-an-address", "/asns/ASxyz",
                "/devices/nope", "/prefixes/10.0.0.0%2F8", "/api/payments/nope"):
        response = client.get(url)
        assert response.status_code == 404, url
    assert client.get("/addresses/1.2.3.4?page=0").status_code == 422


def test_search_finds_addresses_prefixes_and_accounts(client: TestClient) -> None:
    network = top_network(client)
    member = client.get(f"/api/networks/{network}/members?per_page=1").json()["members"][0]
    address = client.get(f"/api/networks/{network}/infrastructure").json()["shared"][
        "address"][0]["key"]
    hits = client.get(f"/api/search?q={quote(address)}").json()["results"]
    kinds = {h["kind"] for h in hits}
    assert {"address", "prefix"} <= kinds
    assert hits[0]["key"] == address, "the exact hit comes first"
    partial = client.get(f"/search?q={quote(member['account_id'][:4])}",
                         headers={"HX-Request": "true"})
    assert "<html" not in partial.text
    links = [a["href"] for a in soup(partial).select("#search-results a")]
    assert links and all(link.startswith("/") for link in links)
    full = soup(client.get(f"/search?q={quote(member['account_id'])}"))
    assert full.select_one(f"a[href='/accounts/{member['account_id']}']")
    empty = soup(client.get("/search?q=%3Cscript%3Ezz"))
    assert "<script>zz" in empty.select_one(".empty").text
    assert not empty.select("script:-soup-contains('zz')"), "typed markup comes out escaped"
    assert client.get("/search?q=" + "x" * 300).status_code == 422


def test_account_page_lists_neighbours_by_shared_entity(client: TestClient) -> None:
    network = top_network(client)
    member = client.get(f"/api/networks/{network}/members?per_page=1").json()["members"][0]
    tree = soup(client.get(f"/accounts/{member['account_id']}"))
    linked = tree.select("a[href^='/addresses/'], a[href^='/devices/'], a[href^='/payments/']")
    assert linked, "linked entities link to their pages"
    neighbours = client.get(f"/api/accounts/{member['account_id']}").json()["neighbours"]
    counts = [n["shared_count"] for n in neighbours]
    assert counts == sorted(counts, reverse=True)


def test_stored_summaries_match_the_live_queries(loaded_once: Graph) -> None:
    """The detector's stored shared infrastructure and picture say what the graph says."""
    from app import explore

    run = explore.latest_run(loaded_once)
    assert run is not None
    networks = explore.list_networks(loaded_once, run["run_id"], suspected_only=True,
                                     min_score=0, min_size=1, sort="size", descending=True,
                                     page=1, per_page=5).rows
    assert networks
    for network in networks:
        stored = explore.network_infrastructure(loaded_once, run["run_id"],
                                                network["network_id"], per_kind=10)
        live = loaded_once.read("explore/network_infrastructure", run_id=run["run_id"],
                                network_id=network["network_id"], limit=10)
        assert stored, "the detector stored the shared infrastructure"
        for kind in stored:
            live_rows = {r["key"]: (r["members"], r["sessions"]) for r in live
                         if r["kind"] == kind}
            stored_rows = {r["key"]: (r["members"], r["sessions"]) for r in stored[kind]}
            assert sorted(m for m, _ in stored_rows.values()) == \
                sorted(m for m, _ in live_rows.values()), kind
            for key in stored_rows.keys() & live_rows.keys():
                assert stored_rows[key] == live_rows[key], (kind, key)
        picture = explore.network_graph(loaded_once, run["run_id"], network["network_id"])
        live_picture = explore.network_graph(loaded_once, run["run_id"], network["network_id"],
                                             max_nodes=301)
        assert picture["accounts"] == network["size"] == live_picture["accounts"]
        if not live_picture["collapsed"]:
            assert {n["id"] for n in picture["nodes"]} == {n["id"] for n in live_picture["nodes"]}
