"""Taking in what partners share, on the real graph: a bundle imported and matched
(in clear, by keyed hash, by SimHash), an alert raised, re-imports and
revocations, a bad bundle importing nothing, reports on the pages, and a pull
from medallion (the OASIS reference TAXII 2.1 server) with basic auth."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app import alerts, cases, explore
from app.auth.users import create_user
from app.db.graph import Graph
from app.detect.run import run_detection
from app.sharing.collections import DEFAULT, get_collection
from app.sharing.decisions import decide_case
from app.sharing.feed import Filters, read_page
from app.sharing.indicators import entity_reports, list_indicators
from app.sharing.intake import BundleError, import_bundle, pull
from app.sharing.partners import add_partner
from app.sharing.publish import publish_case
from app.web.app import create_app
from tests.conftest import (
    detected_world,
    free_port,
    largest_networks,
    run_cli,
    served,
    settings_env,
)
from tests.test_web import PASSWORD, sign_in, soup

KEY = b"partners-agreed-key-0123456789"
MEDALLION = Path(sys.executable).parent / "medallion"


@pytest.fixture(scope="module")
def shared(driver_graph: Graph, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A confirmed case published, its collection read back as a partner's bundle,
    then the published objects removed (as if they came from elsewhere)."""
    out = tmp_path_factory.mktemp("intake")
    detected_world(driver_graph, out)
    graph = Graph(driver_graph.driver,
                  driver_graph.settings.model_copy(update={"sharing_key": KEY.decode()}))
    network = largest_networks(graph)[0]
    case_id = cases.create_from_network(graph, str(network["network_id"]), "Farm", "alice")
    ids = [m["account_id"] for m in cases.case_members(graph, case_id)]
    links = graph.read("cases/member_links", account_ids=ids)
    payment = next(str(r["key"]) for r in links if r["rel"] == "PAID_WITH")
    cases.add_entity(graph, case_id, "payment", payment, "alice")
    decide_case(graph, case_id, "alice", status="confirmed")
    collection = get_collection(graph, DEFAULT)
    page = read_page(graph, collection["collection_id"], Filters(limit=1000))
    objects = [json.loads(r["json"]) for r in page.rows]
    with graph.session() as session:
        session.run("MATCH (o:SharedObject) DETACH DELETE o").consume()
    bundle = {"type": "bundle", "id": "bundle--6b3c1b0e-0a51-4c7a-9d3e-6c1a0c7f00aa",
              "objects": objects}
    path = out / "partner.json"
    path.write_text(json.dumps(bundle))
    return {"graph": graph, "objects": objects, "path": path, "payment": payment,
            "case_id": case_id, "network_id": network["network_id"], "out": out}


def test_an_imported_bundle_matches_in_clear_by_hash_and_by_simhash(
        shared: dict[str, Any]) -> None:
    graph = shared["graph"]
    intake = import_bundle(graph, shared["path"].read_bytes(), "partner.json", key=KEY,
                           actor="alice")
    indicators = sum(1 for o in shared["objects"] if o["type"] == "indicator")
    assert intake.indicators == intake.changed == indicators
    assert intake.source == "Hydrascope"  # the producer's identity names it
    assert intake.matched.get("ip", 0) > 0 and intake.matched.get("payment") == 1
    assert intake.matched.get("template", 0) > 0
    assert intake.alert_id and intake.accounts > 0
    alert = next(a for a in alerts.list_alerts(graph) if a["alert_id"] == intake.alert_id)
    assert alert["kind"] == "indicator_match"
    # Addresses, and now their prefixes and autonomous systems, name our accounts.
    assert any(("reports address" in e or "reports prefix" in e or
                "reports autonomous system" in e) and "confidence" in e
               for e in alert["evidence"])
    reports = entity_reports(graph, "payment", shared["payment"])
    assert [r["how"] for r in reports] == ["keyed hash"]
    assert reports[0]["source"] == "Hydrascope" and reports[0]["confidence"] >= 60
    again = import_bundle(graph, shared["path"].read_bytes(), "partner.json", key=KEY,
                          actor="alice")
    assert again.changed == 0 and again.alert_id is None
    page = list_indicators(graph, q="hydrascope", matched_only=True)
    assert page.total == sum(intake.matched.values())


def test_another_key_matches_no_hashed_identifier(shared: dict[str, Any]) -> None:
    graph = shared["graph"]
    with graph.session() as session:
        session.run("MATCH (i:PartnerIndicator) DETACH DELETE i").consume()
    intake = import_bundle(graph, shared["path"].read_bytes(), "partner.json",
                           key=b"not-the-agreed-key-000000", actor="alice")
    assert "payment" not in intake.matched and intake.matched.get("ip", 0) > 0
    assert entity_reports(graph, "payment", shared["payment"]) == []


def test_a_revoked_indicator_stops_matching(shared: dict[str, Any]) -> None:
    graph = shared["graph"]
    import_bundle(graph, shared["path"].read_bytes(), "partner.json", key=KEY, actor="alice")
    payment = next(o for o in shared["objects"] if "x-hydrascope-payment" in
                   o.get("pattern", ""))
    withdrawn = {**payment, "modified": "2099-01-01T00:00:00.000Z", "revoked": True}
    bundle = {"type": "bundle", "id": "bundle--6b3c1b0e-0a51-4c7a-9d3e-6c1a0c7f00ab",
              "objects": [withdrawn]}
    intake = import_bundle(graph, json.dumps(bundle).encode(), "revoke.json", key=KEY,
                           actor="alice")
    assert intake.revoked == 1 and intake.matched == {}
    assert entity_reports(graph, "payment", shared["payment"]) == []


def test_a_bad_bundle_imports_nothing_and_the_cli_says_where(shared: dict[str, Any]) -> None:
    graph = shared["graph"]
    with graph.session() as session:
        session.run("MATCH (i:PartnerIndicator) DETACH DELETE i").consume()
    objects = [*shared["objects"], {"type": "indicator", "spec_version": "2.1",
                                    "id": "indicator--6b3c1b0e-0a51-4c7a-9d3e-6c1a0c7f00ac"}]
    bad = shared["out"] / "bad.json"
    bad.write_text(json.dumps({"type": "bundle", "id": "bundle--6b3c1b0e-0a51-4c7a-9d3e-"
                               "6c1a0c7f00ad", "objects": objects}))
    with pytest.raises(BundleError, match=f"object {len(objects)} "):
        import_bundle(graph, bad.read_bytes(), "bad.json", key=KEY, actor="alice")
    assert list_indicators(graph).total == 0
    env = {**settings_env(graph.settings), "HYDRASCOPE_SHARING_KEY": KEY.decode()}
    refused = run_cli("intel", "import", str(bad), env=env)
    assert refused.returncode == 1
    assert refused.stderr.startswith("hydrascope: bad.json: object ") and \
        len(refused.stderr.strip().splitlines()) == 1
    assert list_indicators(graph).total == 0
    done = run_cli("intel", "import", str(shared["path"]), env=env)
    assert done.returncode == 0, done.stderr
    assert "payment 1" in done.stdout
    listed = run_cli("intel", "list", "--matched", "--json", env=env)
    rows = json.loads(listed.stdout)["indicators"]
    assert rows and all(r["matches"] > 0 for r in rows)


def test_pages_show_what_partners_reported(shared: dict[str, Any]) -> None:
    graph = shared["graph"]
    import_bundle(graph, shared["path"].read_bytes(), "partner.json", key=KEY, actor="alice")
    create_user(graph, "vera", PASSWORD, "viewer")
    with TestClient(create_app(graph.settings)) as client:
        sign_in(client, "vera")
        listing = soup(client.get("/indicators", params={"q": "hydrascope"}))
        rows = listing.select("#indicators tbody tr")
        assert rows and "Hydrascope" in rows[0].get_text(" ", strip=True)
        assert "keyed hash" in listing.get_text(" ")
        assert shared["payment"] not in listing.get_text(" ")
        network = soup(client.get(f"/networks/{shared['network_id']}"))
        reported = network.select_one("#partner-reports")
        assert reported is not None and "Hydrascope" in reported.get_text(" ")
        members = cases.case_members(graph, shared["case_id"])
        account = soup(client.get(f"/accounts/{members[0]['account_id']}"))
        assert account.select_one("#partner-reports") is not None
        payment_page = client.get(f"/payments/{shared['payment']}")
        assert "also reported by Hydrascope" in soup(payment_page).get_text(" ")
        bad = client.get("/indicators", params={"page": "0"})
        assert bad.status_code == 422


@pytest.fixture
def medallion(shared: dict[str, Any], tmp_path: Path) -> Iterator[dict[str, Any]]:
    """medallion with its memory back-end on a free port, one collection holding the
    partner's objects, basic auth."""
    collection_id = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
    port = free_port()
    objects = shared["objects"]
    data = {
        "/discovery": {"title": "Partner B", "default": f"http://127.0.0.1:{port}/api1/",
                       "api_roots": [f"http://127.0.0.1:{port}/api1/"]},
        "api1": {"information": {"title": "Partner B root",
                                 "versions": ["application/taxii+json;version=2.1"],
                                 "max_content_length": 100_000_000},
                 "status": [],
                 "collections": [{
                     "id": collection_id, "title": "Distillation networks",
                     "can_read": True, "can_write": False,
                     "media_types": ["application/stix+json;version=2.1"],
                     "objects": objects,
                     "manifest": [{"id": o["id"], "date_added": o["modified"],
                                   "version": o["modified"],
                                   "media_type": "application/stix+json;version=2.1"}
                                  for o in objects]}]},
    }
    (tmp_path / "data.json").write_text(json.dumps(data))
    (tmp_path / "config.json").write_text(json.dumps({
        "backend": {"module": "medallion.backends.memory_backend",
                    "module_class": "MemoryBackend", "filename": str(tmp_path / "data.json")},
        "users": {"partner": "s3cret-pass"}, "taxii": {"max_page_size": 25}}))
    server = subprocess.Popen([str(MEDALLION), "--port", str(port),
                               str(tmp_path / "config.json")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}/taxii2/", timeout=1)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("medallion did not start")
            time.sleep(0.2)
    try:
        yield {"url": f"{url}/taxii2/", "collection_id": collection_id, "dir": tmp_path}
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_pull_from_medallion_with_basic_auth(shared: dict[str, Any],
                                             medallion: dict[str, Any]) -> None:
    graph = shared["graph"]
    with graph.session() as session:
        session.run("MATCH (i:PartnerIndicator) DETACH DELETE i").consume()
    intake = pull(graph, medallion["url"], medallion["collection_id"], key=KEY, actor="alice",
                  user="partner", password="s3cret-pass", per_request=25)
    indicators = sum(1 for o in shared["objects"] if o["type"] == "indicator")
    assert intake.indicators == indicators > 25, "more than one page"
    assert intake.matched.get("payment") == 1 and intake.matched.get("ip", 0) > 0
    with pytest.raises(BundleError, match="401"):
        pull(graph, medallion["url"], medallion["collection_id"], key=KEY, actor="alice",
             user="partner", password="wrong")
    with pytest.raises(BundleError, match="no collection"):
        pull(graph, medallion["url"], "00000000-0000-4000-8000-000000000000", key=KEY,
             actor="alice", user="partner", password="s3cret-pass")
    env = {**settings_env(graph.settings), "HYDRASCOPE_SHARING_KEY": KEY.decode()}
    secret = medallion["dir"] / "password"
    secret.write_text("s3cret-pass\n")
    pulled = run_cli("intel", "pull", medallion["url"], "--collection",
                     medallion["collection_id"], "--user", "partner", "--password-file",
                     str(secret), env=env)
    assert pulled.returncode == 0, pulled.stderr
    # medallion says how far a pull read: the next reads only what came since.
    assert "0 new or changed" in pulled.stdout and "read 0 objects added after" in pulled.stdout
    missing = run_cli("intel", "pull", medallion["url"], "--collection", "x", "--user",
                      "partner", env=env)
    assert missing.returncode == 2 and "--password-file" in missing.stderr


def test_imported_text_is_escaped_on_every_page_that_shows_it(shared: dict[str, Any]) -> None:
    graph = shared["graph"]
    evil = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    objects = [dict(o) for o in shared["objects"]]
    identity = next(o for o in objects if o["type"] == "identity")
    identity["name"] = f"Evil {evil}"
    for o in objects:
        if o["type"] == "intrusion-set":
            o["name"] = f"Net {evil}"
        if o["type"] in ("identity", "intrusion-set", "indicator"):
            o["modified"] = "2099-02-02T00:00:00.000Z"
    bundle = {"type": "bundle", "id": "bundle--6b3c1b0e-0a51-4c7a-9d3e-6c1a0c7f00ae",
              "objects": objects}
    intake = import_bundle(graph, json.dumps(bundle).encode(), "evil.json", key=KEY,
                           actor="alice")
    assert intake.source == f"Evil {evil}" and intake.alert_id
    ip = next(o for o in objects if o["type"] == "indicator" and "ipv4-addr:value =" in
              o["pattern"])["pattern"].split("'")[1]
    create_user(graph, "val", PASSWORD, "viewer")
    members = cases.case_members(graph, shared["case_id"])
    with TestClient(create_app(graph.settings)) as client:
        sign_in(client, "val")
        for url in ("/indicators?q=evil", f"/networks/{shared['network_id']}",
                    f"/accounts/{members[0]['account_id']}", f"/addresses/{ip}",
                    "/alerts?kind=indicator_match"):
            page = client.get(url)
            assert page.status_code == 200, url
            assert "<script>alert" not in page.text and "<img src=x" not in page.text, url
            assert "&lt;script&gt;" in page.text, url


def test_detection_counts_a_partner_report_as_one_explained_feature(
        shared: dict[str, Any]) -> None:
    graph = shared["graph"]
    import_bundle(graph, shared["path"].read_bytes(), "partner.json", key=KEY, actor="alice")
    run_detection(graph)
    run = explore.latest_run(graph)
    assert run
    rows = explore.list_networks(graph, run["run_id"], suspected_only=True, min_score=0,
                                 min_size=1, sort="size", descending=True, page=1,
                                 per_page=200).rows
    reported = []
    for row in rows:
        network = explore.get_network(graph, run["run_id"], row["network_id"])
        assert network
        feature = next(f for f in network["features"] if f["name"] == "partner_reports")
        if feature["value"] > 0:
            reported.append((row["network_id"], feature))
    assert reported, "the reported network shows the feature"
    _network_id, feature = reported[0]
    assert feature["contribution"] > 0 and feature["family"] == "coordination"
    assert "other providers reported (population: " in feature["reason"]
    assert feature["contribution"] <= 1.0


def test_a_template_that_reads_like_a_number_is_still_a_template(
        shared: dict[str, Any]) -> None:
    graph = shared["graph"]
    ours = graph.read("sharing/keys_template")[0]["keys"][0]
    # A SimHash of digits and one "e" looks like a float to a careless reader.
    odd = "69941594075e7890"
    objects = []
    for n, value in enumerate((ours, odd)):
        objects.append({"type": "indicator", "spec_version": "2.1",
                        "id": f"indicator--6b3c1b0e-0a51-4c7a-9d3e-6c1a0c7f01{n:02d}",
                        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
                        "pattern": f"[x-hydrascope-prompt-template:simhash = '{value}']",
                        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"})
    bundle = {"type": "bundle", "id": "bundle--6b3c1b0e-0a51-4c7a-9d3e-6c1a0c7f00af",
              "objects": objects}
    intake = import_bundle(graph, json.dumps(bundle).encode(), "odd.json", key=KEY,
                           actor="alice", source="Odd Partner")
    assert intake.source == "Odd Partner" and intake.matched.get("template", 0) >= 1
    assert entity_reports(graph, "template", ours)[0]["how"] == "SimHash"


def test_indicators_we_cannot_match_are_kept_and_shown_by_what_they_say(
        shared: dict[str, Any]) -> None:
    graph = shared["graph"]
    patterns = ["[x-hydrascope-proxy-provider:name = 'Acme Rotating']",
                "[file:hashes.'SHA-256' = '" + "ae" * 32 + "']"]
    objects = [{"type": "indicator", "spec_version": "2.1",
                "id": f"indicator--6b3c1b0e-0a51-4c7a-9d3e-6c1a0c7f02{n:02d}",
                "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
                "pattern": pattern, "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"}
               for n, pattern in enumerate(patterns)]
    bundle = {"type": "bundle", "id": "bundle--6b3c1b0e-0a51-4c7a-9d3e-6c1a0c7f00b0",
              "objects": objects}
    intake = import_bundle(graph, json.dumps(bundle).encode(), "named.json", key=KEY,
                           actor="alice", source="Named Partner")
    assert intake.changed == 2 and intake.unmatched_kinds == 2 and intake.matched == {}
    rows = {r["kind"]: r for r in list_indicators(graph, q="named partner").rows}
    assert rows["proxy_provider"]["value"] == "Acme Rotating"
    assert rows["other"]["value"] == "" and rows["other"]["matches"] == 0
    create_user(graph, "nina", PASSWORD, "viewer")
    with TestClient(create_app(graph.settings)) as client:
        sign_in(client, "nina")
        page = soup(client.get("/indicators", params={"q": "named partner"}))
    text = page.get_text(" ")
    assert "Acme Rotating" in text and "proxy provider" in text
    assert "[file:hashes.'SHA-256' = 'aeae" in text


def test_a_pull_reads_only_what_was_added_since_the_last_one(shared: dict[str, Any]) -> None:
    """Pulled from our own server: all of it, then nothing new, then only the
    revocations of a false positive, with the producer and networks still named."""
    graph = shared["graph"]
    with graph.session() as session:
        session.run("MATCH (i:PartnerIndicator) DETACH DELETE i").consume()
        session.run("MATCH (p:PullState) DELETE p").consume()
    publish_case(graph, shared["case_id"], "alice")  # the fixture removed what it published
    collection = get_collection(graph, DEFAULT)
    token = add_partner(graph, "Ourselves", [DEFAULT], "alice")
    with served(create_app(graph.settings)) as url:
        def pulled(full: bool = False) -> Any:
            return pull(graph, f"{url}/taxii2/", collection["collection_id"], key=KEY,
                        actor="alice", token=token, per_request=50, full=full)

        first = pulled()
        assert first.added_after is None and first.objects_read > 50
        assert first.indicators == first.changed > 0 and first.revoked == 0
        again = pulled()
        assert again.added_after and again.objects_read == 0 and again.changed == 0
        decide_case(graph, shared["case_id"], "alice", status="false_positive")
        revoked = pulled()
        assert 0 < revoked.objects_read < first.objects_read + first.indicators
        assert revoked.revoked == revoked.changed == first.indicators
        assert revoked.source == "Hydrascope"  # its identity, read by id, names it
        rows = list_indicators(graph, per_page=1000).rows
        assert rows and all(r["revoked"] and r["network"] for r in rows)
        whole = pulled(full=True)
        assert whole.added_after is None and whole.objects_read >= first.objects_read
        assert whole.changed == 0
    decide_case(graph, shared["case_id"], "alice", status="confirmed")
