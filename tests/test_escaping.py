"""Markup and script written into every field a user can write come out escaped:
in every page and htmx fragment that shows them, in the JSON API (as the same
literal text) and in the PDF dossier (as printed text). Search boxes, filters and
query parameters never reach Cypher as text: hostile values leave the graph as it
was.

Everything runs in process against the test session's real Neo4j, signed in as an
admin (who may do everything an analyst does).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from pypdf import PdfReader

from app import explore
from app.auth.users import create_user
from app.config import Settings
from app.db.graph import Graph
from app.db.migrations import clear_graph
from app.detect.run import run_detection
from app.ingest import load_directory
from app.queries.library import parse_query_file
from app.synth.generator import generate
from app.web.app import create_app
from tests.graphstate import snapshot
from tests.test_web import PASSWORD, sign_in, soup

pytestmark = pytest.mark.integration

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
TEMPLATE = "{{7*7}}"
TEXTAREA = "</textarea><b id=pwned>x</b>"
# One string with every trick; fields that keep it whole must show it whole.
PAYLOAD = f"{SCRIPT} {IMG} {TEMPLATE} {TEXTAREA}"
SHORT = f"{SCRIPT}{IMG}"  # for fields of at most 100 characters
JS_LINKS = ("[click me](javascript:alert(1)) [or me](JaVaScRiPt:alert(1)) "
            '[quoted](https://example.org/"onmouseover="alert(1))')
# Values that would change the graph if they were pasted into Cypher text.
INJECTIONS = ("' OR 1=1 //", '"}) DETACH DELETE n //', "x' }) MATCH (n) DETACH DELETE n //",
              "\\' }) CREATE (:Pwned) //", "`) DETACH DELETE n //")


@dataclass
class Written:
    case_id: str
    query_id: str
    network_id: str


def assert_escaped(html: str, where: str, shows: tuple[str, ...] = ()) -> None:
    """No element, attribute or link that the payloads could have made; the `shows`
    texts are present as plain text (so the page did show the field, escaped)."""
    for raw in (SCRIPT, "<img src=x", "<b id=pwned>"):
        assert raw not in html, f"{where}: raw {raw!r} in the HTML"
    page = BeautifulSoup(html, "html.parser")
    for script in page.find_all("script"):
        assert "alert(1)" not in (script.string or ""), f"{where}: payload inside a script"
    assert page.find(id="pwned") is None, f"{where}: an element made by the payload"
    for tag in page.find_all(True):
        for name, value in tag.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            assert not name.lower().startswith("on"), f"{where}: handler {name}={text!r}"
            if name.lower() in ("href", "src", "action", "formaction", "hx-get", "hx-post"):
                assert not re.match(r"\s*javascript:", text, re.I), f"{where}: {name}={text!r}"
    text = page.get_text()
    for expected in shows:
        assert expected in text, f"{where}: {expected!r} not shown"


def assert_literal_json(response: Any, where: str, *expected: str) -> None:
    assert response.status_code == 200, f"{where}: {response.status_code} {response.text[:200]}"
    assert response.headers["content-type"].startswith("application/json"), where
    body = json.dumps(response.json())
    for text in expected:
        assert json.dumps(text)[1:-1] in body, f"{where}: {text!r} not returned literally"


def csrf(client: TestClient, url: str = "/") -> str:
    token = soup(client.get(url)).select_one("input[name=csrf_token]")
    assert token is not None, url
    return str(token["value"])


def htmx(client: TestClient, url: str) -> str:
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return response.text


def page(client: TestClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, f"{url}: {response.status_code} {response.text[:300]}"
    return response.text


@pytest.fixture(scope="module")
def site(driver_graph: Graph, neo4j_settings: Settings,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Written]]:
    """A small detected data set, and the payload written into every field there is."""
    graph = driver_graph
    clear_graph(graph)
    data = tmp_path_factory.mktemp("escaping") / "data"
    generate(data, accounts=250, seed=3)
    load_directory(graph, data, Path(data.parent / "rejects.csv"), progress=False)
    run_detection(graph)
    create_user(graph, "ada", PASSWORD, "admin")
    run = explore.latest_run(graph)
    assert run is not None
    network_id = explore.list_networks(graph, run["run_id"], suspected_only=False,
                                       min_score=0, min_size=1, sort="score",
                                       descending=True, page=1, per_page=1).rows[0]["network_id"]
    with TestClient(create_app(neo4j_settings)) as client:
        sign_in(client, "ada")
        token = csrf(client)
        # A case on the network: title, assignee, notes, an entity key, pinned evidence.
        opened = client.post("/cases", data={"title": PAYLOAD, "network_id": network_id,
                                             "csrf_token": token}, follow_redirects=False)
        assert opened.status_code == 303, opened.text
        case_id = opened.headers["location"].rsplit("/", 1)[-1]
        for form in ({"assignee": SHORT}, {"title": PAYLOAD}):
            changed = client.post(f"/cases/{case_id}/update", data={**form, "csrf_token": token},
                                  follow_redirects=False)
            assert changed.status_code == 303, changed.text
        noted = client.post(f"/cases/{case_id}/notes",
                            data={"body": f"{PAYLOAD}\n\n{JS_LINKS}\n\n- **{SCRIPT}**",
                                  "csrf_token": token}, follow_redirects=False)
        assert noted.status_code == 303, noted.text
        entity = client.post(f"/cases/{case_id}/entities",
                             data={"kind": "address", "key": PAYLOAD, "csrf_token": token},
                             follow_redirects=False)
        assert entity.status_code in (303, 422), entity.text
        pinned = client.post(f"/api/cases/{case_id}/evidence", headers={"X-CSRF-Token": token},
                             json={"title": PAYLOAD, "cypher": f"RETURN '{PAYLOAD}' AS x",
                                   "params": {"p": PAYLOAD}, "columns": [PAYLOAD],
                                   "rows": [[PAYLOAD]], "ran_at": "2026-01-01T00:00:00Z"})
        assert pinned.status_code == 201, pinned.text
        # An own query: every field, and a result cell that holds the payload.
        saved = client.post("/queries/new", data={
            "title": PAYLOAD, "description": PAYLOAD, "category": SHORT,
            "params": f"p string = x -- {PAYLOAD}",
            "cypher": f"// {PAYLOAD}\nMATCH (a:Account)\nWHERE a.account_id <> $p\n"
                      f"RETURN '{PAYLOAD}' AS shown, $p AS echoed\nLIMIT 3",
            "shared": "true", "csrf_token": token}, follow_redirects=False)
        assert saved.status_code == 303, saved.text
        query_id = saved.headers["location"].rsplit("/", 1)[-1]
        # An API token label.
        labelled = client.post("/settings/tokens", data={"label": SHORT, "csrf_token": token})
        assert labelled.status_code == 200, labelled.text
        yield client, Written(case_id, query_id, network_id)


def test_case_fields_come_out_escaped(site: tuple[TestClient, Written]) -> None:
    client, written = site
    case = f"/cases/{written.case_id}"
    full = page(client, case)
    assert_escaped(full, case, shows=(PAYLOAD, SHORT, "click me"))
    links = BeautifulSoup(full, "html.parser").select(".note-body a")
    assert links and all(a["href"].startswith("https://") for a in links), links
    # A quote in the URL stays inside the href (entity-encoded): no attribute of its own.
    assert all(set(a.attrs) == {"href", "rel"} for a in links), links
    assert_escaped(htmx(client, case), f"{case} (htmx)")
    for url in ("/cases", f"/cases?{urlencode({'assignee': SHORT})}", "/admin/audit",
                f"/admin/audit?{urlencode({'action': 'case'})}"):
        assert_escaped(page(client, url), url)
        assert_escaped(htmx(client, url), f"{url} (htmx)")
    assert_escaped(page(client, "/cases"), "/cases", shows=(PAYLOAD,))
    assert_literal_json(client.get(f"/api/{case.lstrip('/')}"), "case API", PAYLOAD, SHORT)
    assert_literal_json(client.get("/api/cases"), "cases API", PAYLOAD)


def test_case_dossier_prints_the_payload_as_text(site: tuple[TestClient, Written]) -> None:
    client, written = site
    response = client.get(f"/cases/{written.case_id}/export/pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(p.extract_text() or "" for p in reader.pages)
    flat = re.sub(r"\s+", "", text)
    # A link to anything but http(s) stays visible as text, never a link.
    for expected in (SCRIPT, IMG, TEMPLATE, TEXTAREA, "click me (javascript:alert(1))"):
        assert re.sub(r"\s+", "", expected) in flat, f"{expected!r} not printed in the dossier"
    for link in (reader.pages[i].get("/Annots") or [] for i in range(len(reader.pages))):
        for annot in link:
            uri = str(annot.get_object().get("/A", {}).get("/URI", ""))
            assert not uri.lower().startswith("javascript:"), uri


def test_query_fields_come_out_escaped(site: tuple[TestClient, Written]) -> None:
    client, written = site
    query = f"/queries/{written.query_id}"
    ran = f"{query}?{urlencode({'p': PAYLOAD, 'run': '1'})}"
    adhoc = urlencode({"cypher": f"RETURN '{PAYLOAD}' AS x", "run": "1"})
    for url, shows in ((query, (PAYLOAD, SHORT)), (ran, (PAYLOAD,)),
                       (f"{query}/edit", ()), (f"/queries/new?copy={written.query_id}", ()),
                       ("/queries", (PAYLOAD,)), (f"/queries?{urlencode({'q': SCRIPT})}", ()),
                       (f"/queries/adhoc?{adhoc}", (PAYLOAD,))):
        assert_escaped(page(client, url), url, shows=shows)
    assert_escaped(htmx(client, ran), f"{ran} (htmx)", shows=(PAYLOAD,))
    fields = BeautifulSoup(page(client, ran), "html.parser").select_one("input[name=p]")
    assert fields is not None and fields["value"] == PAYLOAD
    editor = BeautifulSoup(page(client, f"{query}/edit"), "html.parser")
    assert editor.select_one("textarea[name=cypher]").text.startswith(f"// {PAYLOAD}")
    assert_literal_json(client.get(f"/api{query}"), "query API", PAYLOAD, SHORT)
    assert_literal_json(client.get(f"/api{query}/run?{urlencode({'p': PAYLOAD})}"),
                        "query run API", PAYLOAD)


def test_exported_query_file_holds_no_smuggled_cypher(site: tuple[TestClient, Written]) -> None:
    """A title or category with line breaks must not end the `//` header of the
    exported .cypher file and so add statements to whatever runs it."""
    client, _ = site
    token = csrf(client)
    smuggled = "x\nMATCH (n) DETACH DELETE n\n// "
    saved = client.post("/queries/new", data={
        "title": f"Title {smuggled}", "category": f"Cat {smuggled}", "description": smuggled,
        "params": "", "cypher": "MATCH (a:Account)\nRETURN count(a) AS n\nLIMIT 1",
        "csrf_token": token}, follow_redirects=False)
    if saved.status_code == 422:
        return  # refused outright is fine too
    assert saved.status_code == 303, saved.text
    exported = client.get(saved.headers["location"] + "/export.cypher").text
    reread = parse_query_file(exported, "exported")
    assert reread.body == "MATCH (a:Account)\nRETURN count(a) AS n\nLIMIT 1"
    assert not any(line.startswith("MATCH (n)") for line in exported.splitlines())


def test_token_labels_user_names_search_and_audit_filters(
        site: tuple[TestClient, Written]) -> None:
    client, _ = site
    assert_escaped(page(client, "/settings/tokens"), "/settings/tokens", shows=(SHORT,))
    token = csrf(client, "/admin/users")
    refused = client.post("/admin/users", data={"username": SHORT, "role": "viewer",
                                                "password": "long enough password",
                                                "csrf_token": token})
    assert refused.status_code == 422
    assert_escaped(refused.text, "refused user name")
    assert_escaped(page(client, "/admin/users"), "/admin/users")
    for text in (PAYLOAD, SCRIPT, IMG):
        search = f"/search?{urlencode({'q': text})}"
        assert_escaped(page(client, search), search, shows=(text,))
        assert_escaped(htmx(client, search), f"{search} (htmx)")
        assert_literal_json(client.get(f"/api{search}"), "search API", text)
        audit = f"/admin/audit?{urlencode({'actor': text[:200], 'action': text[:200]})}"
        assert_escaped(page(client, audit), audit)
        assert_escaped(htmx(client, audit), f"{audit} (htmx)")
    for url in (f"/accounts/{quote(SCRIPT, safe='')}", f"/networks/{quote(SCRIPT, safe='')}",
                f"/addresses/{quote(IMG, safe='')}", f"/queries/{quote(SCRIPT, safe='')}"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert_escaped(response.text, url)


def _data_state(graph: Graph) -> dict[str, Any]:
    """The graph without the audit trail, which reads legitimately add to."""
    state = snapshot(graph)
    state["nodes"] = [n for n in state["nodes"] if n[0] != "AuditEvent"]
    return state


def test_hostile_values_never_reach_cypher_as_text(site: tuple[TestClient, Written],
                                                   driver_graph: Graph) -> None:
    client, written = site
    before = _data_state(driver_graph)
    assert before["nodes"], "the graph holds data to lose"
    for value in INJECTIONS:
        quoted = quote(value, safe="")
        urls = [f"/search?{urlencode({'q': value})}", f"/api/search?{urlencode({'q': value})}",
                f"/queries/{written.query_id}?{urlencode({'p': value, 'run': '1'})}",
                f"/api/queries/{written.query_id}/run?{urlencode({'p': value})}",
                f"/queries/account_neighbourhood?{urlencode({'account': value, 'run': '1'})}",
                f"/admin/audit?{urlencode({'actor': value, 'action': value})}",
                f"/cases?{urlencode({'assignee': value})}",
                f"/queries?{urlencode({'q': value, 'category': value})}",
                f"/accounts/{quoted}", f"/api/accounts/{quoted}", f"/networks/{quoted}",
                f"/networks/{written.network_id}?{urlencode({'run': value})}",
                f"/addresses/{quoted}", f"/prefixes/{quoted}", f"/api/orgs/{quoted}"]
        for url in urls:
            status = client.get(url).status_code
            assert status in (200, 404, 422), f"{url}: {status}"
    assert _data_state(driver_graph) == before
