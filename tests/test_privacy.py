"""Privacy by default: payment tokens and personal e-mail domains are masked in
pages, fragments, the API, query results and the dossier; analysts reveal one
value at a time, audited. Pure parts first, then against the real Neo4j."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from app import cases, explore
from app.audit import list_events
from app.auth.users import create_user
from app.config import Settings
from app.db.graph import Graph
from app.db.migrations import clear_graph
from app.detect.run import run_detection
from app.ingest import load_directory
from app.kinds import entity_url
from app.privacy import BadToken, Masked, Privacy
from app.queries.results import cell, to_csv, to_plain
from app.synth.generator import generate
from app.web.app import create_app
from tests.test_cases_web import PASSWORD, sign_in, soup

PERSONAL = "smith-family.example"


# -- pure ---------------------------------------------------------------------------


def test_masked_values_round_trip_and_resist_tampering() -> None:
    privacy = Privacy("one secret")
    masked = privacy.mask("payment", "pm_4242424242")
    assert isinstance(masked, Masked) and masked.startswith("pay-")
    assert "4242" not in masked and "4242" not in masked.token
    assert json.dumps({"key": masked}) == json.dumps({"key": str(masked)})
    assert privacy.unmask("payment", masked.token) == "pm_4242424242"
    # The same value has the same alias (so sharing stays visible); others differ.
    assert privacy.mask("payment", "pm_4242424242") == masked
    assert privacy.mask("payment", "pm_4242424243") != masked
    assert Privacy("another secret").mask("payment", "pm_4242424242") != masked
    with pytest.raises(BadToken):
        privacy.unmask("email domain", masked.token)  # sealed for another kind
    with pytest.raises(BadToken):
        Privacy("another secret").unmask("payment", masked.token)
    tampered = masked.token[:-2] + ("AA" if masked.token[-2:] != "AA" else "BB")
    for bad in (tampered, "", "~", "not base64 at all!", "A" * 5000):
        with pytest.raises(BadToken):
            privacy.unmask("payment", bad)
    assert entity_url("payment", masked) == "/payments/~" + masked.token


def test_which_values_are_masked() -> None:
    privacy = Privacy("s", min_accounts=5)
    assert privacy.is_masked("payment", 10_000)
    assert privacy.is_masked("email domain", 4) and privacy.is_masked("email domain", None)
    assert not privacy.is_masked("email domain", 5)
    assert not privacy.is_masked("address") and not privacy.is_masked("device", 1)
    assert privacy.mask("address", "10.0.0.1") == "10.0.0.1"
    assert privacy.mask("email domain", "gmail.com", 900) == "gmail.com"
    rows = [{"kind": "payment", "key": "tok", "n": 50}, {"kind": "email domain", "key": "a.b",
                                                          "n": 1},
            {"kind": "email domain", "key": "big.com", "n": 40}, {"kind": "address",
                                                                   "key": "1.2.3.4"}]
    privacy.mask_rows(rows, count_field="n")
    assert [isinstance(r["key"], Masked) for r in rows] == [True, True, False, False]


def test_query_results_mask_by_value_wherever_it_sits() -> None:
    masked = Privacy("s").mask("payment", "tok-1")
    masks = {"tok-1": masked}
    assert to_plain({"a": ["tok-1", "x"]}, masks) == {"a": [str(masked), "x"]}
    shown = cell("tok-1", masks)
    assert shown.text == str(masked) and shown.href == "/payments/~" + masked.token
    text = to_csv(["t", "n"], [["tok-1", {"nested": "tok-1"}]], masks)
    assert "tok-1" not in text and str(masked) in text


def test_graph_pictures_are_masked_with_their_edges() -> None:
    privacy = Privacy("s")
    picture = {"nodes": [{"id": "account:a1", "type": "account", "label": "a1"},
                         {"id": "payment:tok", "type": "payment", "label": "tok",
                          "href": "/payments/tok"}],
               "edges": [{"source": "account:a1", "target": "payment:tok"}]}
    shown = explore.mask_picture(privacy, picture)
    assert "tok" not in json.dumps(shown).replace('"type": "payment"', "")
    ids = {n["id"] for n in shown["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in shown["edges"])


# -- against the real Neo4j ---------------------------------------------------------


@pytest.fixture(scope="module")
def loaded(driver_graph: Graph, tmp_path_factory: pytest.TempPathFactory) -> Graph:
    out = tmp_path_factory.mktemp("privacy")
    generate(out / "data", accounts=800, seed=5)
    clear_graph(driver_graph)
    load_directory(driver_graph, out / "data", out / "r.csv", progress=False)
    # One account with a personal e-mail domain of its own.
    driver_graph.run_text(
        "MATCH (a:Account) WITH a ORDER BY a.account_id LIMIT 1 "
        "SET a.email_domain = $d MERGE (d:EmailDomain {name: $d}) MERGE (a)-[:EMAIL_AT]->(d)",
        d=PERSONAL)
    run_detection(driver_graph)
    for name, role in (("vera", "viewer"), ("ana", "analyst")):
        create_user(driver_graph, name, PASSWORD, role)
    return driver_graph


@pytest.fixture
def client(loaded: Graph, neo4j_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(neo4j_settings)) as test_client:
        yield test_client


def raw_tokens(graph: Graph) -> set[str]:
    return {r["t"] for r in graph.run_text("MATCH (p:Payment) RETURN p.fingerprint AS t")}


def shared_token(graph: Graph) -> dict[str, str]:
    """A payment token several accounts of a flagged network share, with one of them
    and the network."""
    rows = graph.run_text(
        "MATCH (r:DetectionRun {status: 'complete'}) WITH r ORDER BY r.started_at DESC LIMIT 1 "
        "MATCH (a:Account)-[:MEMBER_OF]->(n:Network {run_id: r.run_id}) "
        "MATCH (a)-[:PAID_WITH]->(p:Payment) "
        "WITH n, p, collect(a.account_id) AS accounts WHERE size(accounts) > 1 "
        "RETURN n.network_id AS network, p.fingerprint AS token, accounts[0] AS account "
        "ORDER BY size(accounts) DESC, token LIMIT 1")
    assert rows, "the generated set has networks sharing payment tokens"
    return dict(rows[0])


def assert_no_raw(text: str, tokens: set[str], where: str) -> None:
    leaked = [t for t in tokens if t in text]
    assert not leaked, f"{where} shows raw payment tokens: {leaked[:3]}"


def test_no_page_fragment_or_api_shows_a_payment_token(loaded: Graph,
                                                      client: TestClient) -> None:
    tokens = raw_tokens(loaded)
    found = shared_token(loaded)
    sign_in(client, "vera")
    network, account = found["network"], found["account"]
    pages = [f"/networks/{network}", f"/networks/{network}/infrastructure",
             f"/api/networks/{network}/infrastructure", f"/api/networks/{network}/graph",
             f"/api/networks/{network}/graph?max_nodes=20", f"/accounts/{account}",
             f"/api/accounts/{account}", f"/search?q={found['token']}",
             f"/api/search?q={found['token']}"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        # Search may echo what was typed, and nothing else.
        assert_no_raw(response.text, tokens - {found["token"]} if "search" in url else tokens,
                      url)
    fragment = client.get(f"/networks/{network}/infrastructure", headers={"HX-Request": "true"})
    assert_no_raw(fragment.text, tokens, "infrastructure fragment")
    # The alias shows instead, and links to the token's page by an opaque token.
    alias = explore.privacy_of(loaded).alias("payment", found["token"])
    account_page = soup(client.get(f"/accounts/{account}"))
    link = account_page.select_one(f"a.masked:-soup-contains('{alias}')")
    assert link is not None and link["href"].startswith("/payments/~")
    assert not account_page.select("a.reveal"), "viewers get no reveal control"
    token_page = client.get(link["href"])
    assert token_page.status_code == 200 and alias in soup(token_page).select_one("h1").text
    assert_no_raw(token_page.text, tokens, "payment token page")
    assert len(soup(token_page).select("#accounts tbody tr")) > 1
    assert client.get(f"/api{link['href']}").json()["key"] == alias
    # Search finds a token typed in full, never by its start.
    assert [r["key"] for r in client.get(f"/api/search?q={found['token']}").json()["results"]
            if r["kind"] == "payment"] == [alias]
    assert not [r for r in client.get(f"/api/search?q={found['token'][:-1]}").json()["results"]
                if r["kind"] == "payment"]
    assert client.get("/payments/~" + "A" * 40).status_code == 404


def test_personal_email_domains_are_masked_and_common_ones_are_not(
        loaded: Graph, client: TestClient) -> None:
    sign_in(client, "vera")
    account = loaded.run_text("MATCH (a:Account {email_domain: $d}) RETURN a.account_id AS a",
                              d=PERSONAL)[0]["a"]
    common = loaded.run_text(
        "MATCH (d:EmailDomain) WITH d, COUNT { (d)<-[:EMAIL_AT]-() } AS n WHERE n >= 5 "
        "MATCH (a:Account)-[:EMAIL_AT]->(d) RETURN a.account_id AS a, d.name AS d LIMIT 1")[0]
    page = client.get(f"/accounts/{account}")
    assert PERSONAL not in page.text and "mail-" in page.text
    assert PERSONAL not in client.get(f"/api/accounts/{account}").text
    assert common["d"] in client.get(f"/accounts/{common['a']}").text
    # Typed in full, the personal domain is found (masked); by its start, not at all.
    found = client.get(f"/api/search?q={PERSONAL}").json()["results"]
    assert [r["key"][:5] for r in found if r["kind"] == "email domain"] == ["mail-"]
    assert not [r for r in client.get("/api/search?q=smith-fam").json()["results"]
                if r["kind"] == "email domain"]


def test_query_results_and_downloads_are_masked(loaded: Graph, client: TestClient) -> None:
    tokens = raw_tokens(loaded)
    sign_in(client, "vera")
    params = "run=1&limit=200&min_open=1"
    for url in (f"/queries/payment_shared_with_banned?{params}",
                f"/queries/payment_graph_with_banned?{params}",
                f"/queries/payment_shared_with_banned/results.csv?{params}",
                f"/queries/payment_shared_with_banned/results.json?{params}",
                f"/api/queries/payment_shared_with_banned/run?{params}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_raw(response.text, tokens, url)
    rows = list(csv.reader(io.StringIO(client.get(
        f"/queries/payment_shared_with_banned/results.csv?{params}").text)))
    assert len(rows) > 1 and any("pay-" in value for value in rows[1])


def test_analysts_reveal_one_value_audited_and_viewers_cannot(loaded: Graph,
                                                             client: TestClient) -> None:
    found = shared_token(loaded)
    masked = explore.privacy_of(loaded).mask("payment", found["token"])
    csrf = sign_in(client, "vera")
    form = {"kind": "payment", "token": masked.token, "csrf_token": csrf}
    assert client.post("/reveal", data=form).status_code == 403
    assert client.post("/api/reveal", json={"kind": "payment", "token": masked.token},
                       headers={"X-CSRF-Token": csrf}).status_code == 403

    client.cookies.clear()
    csrf = sign_in(client, "ana")
    page = soup(client.get(f"/accounts/{found['account']}"))
    reveal = page.select_one("a.reveal")
    assert reveal is not None and reveal["hx-post"] == "/reveal"
    assert json.loads(reveal["hx-vals"])["token"]
    # Without scripts the link asks first; the answer shows the value.
    asked = client.get(reveal["href"])
    assert asked.status_code == 200 and found["token"] not in asked.text
    query = parse_qs(urlsplit(reveal["href"]).query)
    shown = client.post("/reveal", data={"kind": query["kind"][0], "token": query["token"][0],
                                          "csrf_token": csrf}, headers={"HX-Request": "true"})
    assert shown.status_code == 200 and found["token"] in shown.text
    assert "<html" not in shown.text
    api = client.post("/api/reveal", json={"kind": "payment", "token": masked.token},
                      headers={"X-CSRF-Token": csrf})
    assert api.json() == {"kind": "payment", "alias": str(masked), "value": found["token"]}
    # No CSRF token, a forged token or another kind: refused, nothing revealed.
    assert client.post("/reveal", data={"kind": "payment", "token": masked.token}
                       ).status_code == 403
    assert client.post("/reveal", data={**form, "csrf_token": csrf,
                                        "token": masked.token[:-3] + "xyz"}).status_code == 404
    assert client.post("/reveal", data={**form, "csrf_token": csrf, "kind": "address"}
                       ).status_code == 422
    events, _ = list_events(loaded, action="privacy.reveal")
    assert [e["actor"] for e in events] == ["ana", "ana"]
    assert all(e["target"] == f"payment {masked}" for e in events)
    assert found["token"] not in json.dumps(events, default=str)


def test_cases_mask_tokens_on_the_page_and_in_the_dossier(loaded: Graph,
                                                         client: TestClient) -> None:
    tokens = raw_tokens(loaded)
    found = shared_token(loaded)
    case_id = cases.create_from_network(loaded, found["network"], "Privacy case", "ana")
    csrf = sign_in(client, "ana")
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert_no_raw(page.text, tokens, "case page")
    pdf = client.get(f"/cases/{case_id}/export/pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert_no_raw(text, tokens, "dossier")
    assert "pay-" in text
    # The enforcement list is what teams act on: it keeps the values.
    enforcement = client.get(f"/cases/{case_id}/export/enforcement").text
    assert found["token"] in enforcement
    # The remove form names a masked token by its opaque token.
    remove = soup(page).select_one("#entities input[name=key][value^='~']")
    assert remove is not None
    form = remove.find_parent("form")
    data = {i["name"]: i["value"] for i in form.select("input")}
    assert client.post(form["action"], data={**data, "csrf_token": csrf}).status_code < 400
    left = {(e["kind"], e["key"]) for e in cases.case_entities(loaded, case_id)}
    assert ("payment", explore.privacy_of(loaded).unmask("payment", data["key"][1:])) \
        not in left
