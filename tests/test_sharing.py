"""Sharing a confirmed network with partners, on the real graph: publishing on a
decision, versions and revocation, the TAXII 2.1 server read by the in-process
client and by taxii2-client over HTTP, partner tokens, and the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from fastapi.testclient import TestClient
from stix2validator import ValidationOptions, validate_instance
from taxii2client.common import TokenAuth
from taxii2client.v21 import Server, as_pages

from app import cases
from app.audit import list_events
from app.auth.users import create_user
from app.db.graph import Graph
from app.sharing.collections import DEFAULT, ensure_collection, get_collection
from app.sharing.decisions import decide_case
from app.sharing.partners import add_partner, revoke_partner
from app.sharing.publish import publish_case
from app.sharing.stix import keyed_hash
from app.web.app import create_app
from tests.conftest import detected_world, largest_networks, run_cli, served, settings_env
from tests.test_web import PASSWORD, sign_in, soup

KEY = "partners-agreed-key-0123456789"
TAXII = "application/taxii+json;version=2.1"


@pytest.fixture(scope="module")
def world(driver_graph: Graph, tmp_path_factory: pytest.TempPathFactory) -> Graph:
    """Generated data loaded and detected once, with a sharing key in its settings."""
    detected_world(driver_graph, tmp_path_factory.mktemp("sharing"))
    settings = driver_graph.settings.model_copy(update={"sharing_key": KEY})
    return Graph(driver_graph.driver, settings)


def _networks(graph: Graph, n: int) -> list[str]:
    rows = largest_networks(graph, n)
    assert len(rows) == n
    return [str(r["network_id"]) for r in rows]


@pytest.fixture(scope="module")
def published(world: Graph) -> dict[str, Any]:
    """Two confirmed cases in the default collection, one in a second collection, and
    partners for each."""
    first, second = _networks(world, 2)
    case_a = cases.create_from_network(world, first, "Farm A", "alice")
    case_b = cases.create_from_network(world, second, "Farm B", "alice")
    # An investigator links a member's payment token and device by hand, so the case
    # shares both kinds whatever camouflage the network used.
    ids = [m["account_id"] for m in cases.case_members(world, case_a)]
    links = world.read("cases/member_links", account_ids=ids)
    for rel, kind in (("PAID_WITH", "payment"), ("USED_DEVICE", "device")):
        cases.add_entity(world, case_a, kind, next(str(r["key"]) for r in links
                                                   if r["rel"] == rel), "alice")
    decision = decide_case(world, case_a, "alice", status="confirmed")
    assert decision.published and not decision.problem
    decide_case(world, case_b, "alice", status="confirmed")
    other = ensure_collection(world, "ip-only", kinds=["ip"])
    publish_case(world, case_a, "alice", collection="ip-only")
    default = get_collection(world, DEFAULT)
    return {"case_a": case_a, "case_b": case_b, "default": default, "other": other,
            "token": add_partner(world, "Partner One", [DEFAULT], "admin"),
            "other_token": add_partner(world, "Partner Two", ["ip-only"], "admin")}


@pytest.fixture
def client(world: Graph, published: dict[str, Any]) -> Iterator[TestClient]:
    with TestClient(create_app(world.settings)) as c:
        yield c


def get(client: TestClient, path: str, token: str | None, **params: Any) -> Any:
    headers = {"Accept": TAXII}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.get(path, headers=headers, params=params)


def _objects_url(collection: dict[str, Any]) -> str:
    return f"/taxii2/api/collections/{collection['collection_id']}/objects/"


def test_a_confirmed_case_is_published_with_nothing_personal_in_clear(
        world: Graph, published: dict[str, Any], client: TestClient) -> None:
    rows = get(client, _objects_url(published["default"]), published["token"],
               limit=1000).json()["objects"]
    by_type: dict[str, int] = {}
    for obj in rows:
        by_type[obj["type"]] = by_type.get(obj["type"], 0) + 1
        result = validate_instance(obj, ValidationOptions(version="2.1"))
        assert result.is_valid, [str(e) for e in result.errors]
    assert by_type["identity"] == 1 and by_type["intrusion-set"] == 2
    assert by_type["report"] == 2 and by_type["indicator"] == by_type["relationship"] > 10
    text = json.dumps(rows)
    members = cases.case_members(world, published["case_a"])
    links = world.read("cases/member_links", account_ids=[m["account_id"] for m in members])
    for r in links:
        if r["rel"] in ("PAID_WITH", "USED_DEVICE"):
            assert str(r["key"]) not in text
    linked = [e for e in cases.case_entities(world, published["case_a"])
              if e["kind"] in ("payment", "device")]
    assert {e["kind"] for e in linked} == {"payment", "device"}
    for e in linked:
        # A partner holding the key finds its own value's hash; one without it cannot.
        assert keyed_hash(KEY.encode(), e["kind"], str(e["key"])) in text
        assert keyed_hash(b"another-collections-key", e["kind"], str(e["key"])) not in text
    timeline = [e["action"] for e in cases.timeline(world, published["case_a"])]
    assert "intel.publish" in timeline


def test_publishing_again_adds_no_version_and_a_change_adds_few(
        world: Graph, published: dict[str, Any]) -> None:
    case_id = published["case_b"]
    assert publish_case(world, case_id, "alice").new_versions == 0
    members = cases.case_members(world, case_id)
    cases.remove_accounts(world, case_id, [members[0]["account_id"]], "alice")
    again = publish_case(world, case_id, "alice")
    assert 0 < again.new_versions < again.objects
    assert publish_case(world, case_id, "alice").new_versions == 0


def test_a_false_positive_withdraws_what_it_published(
        world: Graph, published: dict[str, Any], client: TestClient) -> None:
    network = _networks(world, 3)[2]
    case_id = cases.create_from_network(world, network, "Farm C", "alice")
    decide_case(world, case_id, "alice", status="confirmed")
    url = _objects_url(published["default"])
    before = get(client, url, published["token"], limit=1000).json()["objects"]
    decision = decide_case(world, case_id, "alice", status="false_positive")
    assert decision.revoked > 0
    after = get(client, url, published["token"], limit=1000).json()["objects"]
    already = {o["id"] for o in before if o.get("revoked")}
    withdrawn = [o for o in after if o.get("revoked") and o["id"] not in already]
    assert len(withdrawn) == decision.revoked
    assert len(after) == len(before), "the latest versions replace the ones before"
    ids = {o["id"] for o in withdrawn}
    versions = get(client, f"{url}{sorted(ids)[0]}/versions/", published["token"]).json()
    assert len(versions["versions"]) == 2
    # Confirmed again: a revoked object takes no further version, so the case
    # speaks with new ids, and what was revoked stays revoked.
    again = decide_case(world, case_id, "alice", status="confirmed")
    assert again.published and again.published.new_versions == again.published.objects
    latest = get(client, url, published["token"], limit=1000).json()["objects"]
    by_id = {o["id"]: o for o in latest}
    assert all(by_id[i].get("revoked") for i in ids)
    fresh = [o for o in latest if o["id"] not in ids and not o.get("revoked")
             and o["type"] == "report" and network in o["name"]]
    assert len(fresh) == 1


def test_a_decision_without_a_key_stays_and_says_why(world: Graph) -> None:
    keyless = Graph(world.driver, world.settings.model_copy(update={"sharing_key": None}))
    network = _networks(world, 4)[3]
    case_id = cases.create_from_network(keyless, network, "Farm D", "alice")
    # A member's card linked by hand: the case shares a kind that leaves only
    # as a keyed hash, whatever the network shares itself.
    ids = [m["account_id"] for m in cases.case_members(keyless, case_id)]
    links = keyless.read("cases/member_links", account_ids=ids)
    cards = [str(r["key"]) for r in links if r["rel"] == "PAID_WITH"]
    assert cards, "the network's members pay with cards"
    cases.add_entity(keyless, case_id, "payment", cards[0], "alice")
    decision = decide_case(keyless, case_id, "alice", status="confirmed")
    assert decision.changes["status"] == ["open", "confirmed"]
    assert decision.problem and "no sharing key" in decision.problem
    assert cases.get_case(keyless, case_id)["status"] == "confirmed"
    failed, _ = list_events(keyless, action="intel.publish", outcome="failed")
    assert any(e["target"] == case_id for e in failed)


def test_taxii_discovery_collections_and_access_per_collection(
        published: dict[str, Any], client: TestClient) -> None:
    token, other = published["token"], published["other_token"]
    discovery = get(client, "/taxii2/", token)
    assert discovery.status_code == 200
    assert discovery.headers["content-type"] == TAXII
    assert discovery.json()["api_roots"][0].endswith("/taxii2/api/")
    root = get(client, "/taxii2/api/", token).json()
    assert root["versions"] == [TAXII]
    mine = get(client, "/taxii2/api/collections/", token).json()["collections"]
    assert [c["id"] for c in mine] == [published["default"]["collection_id"]]
    assert mine[0]["can_read"] and not mine[0]["can_write"]
    theirs = get(client, "/taxii2/api/collections/", other).json()["collections"]
    assert [c["id"] for c in theirs] == [published["other"]["collection_id"]]
    # Partner Two may not read the default collection; Partner One not ip-only.
    assert get(client, _objects_url(published["default"]), other).status_code == 404
    assert get(client, _objects_url(published["other"]), token).status_code == 404
    only_ips = get(client, _objects_url(published["other"]), other, limit=1000).json()
    patterns = [o["pattern"] for o in only_ips["objects"] if o["type"] == "indicator"]
    assert patterns and all("addr:value = " in p for p in patterns)


def test_taxii_pages_filters_and_manifest(published: dict[str, Any],
                                          client: TestClient) -> None:
    token, url = published["token"], _objects_url(published["default"])
    everything = get(client, url, token, limit=1000).json()["objects"]
    seen: list[str] = []
    page = get(client, url, token, limit=7)
    pages = 0
    while True:
        pages += 1
        body = page.json()
        assert body["objects"]
        seen += [o["id"] for o in body["objects"]]
        assert page.headers["X-TAXII-Date-Added-First"] <= page.headers[
            "X-TAXII-Date-Added-Last"]
        if not body["more"]:
            break
        page = get(client, url, token, limit=7, next=body["next"])
    assert pages > 2 and seen == [o["id"] for o in everything]
    assert len(set(seen)) == len(seen)
    manifest = get(client, url.replace("/objects/", "/manifest/"), token, limit=1000).json()
    assert [m["id"] for m in manifest["objects"]] == seen
    assert all(m["media_type"] == "application/stix+json;version=2.1"
               for m in manifest["objects"])
    middle = manifest["objects"][len(seen) // 2]["date_added"]
    newer = get(client, url, token, limit=1000, added_after=middle).json()["objects"]
    assert 0 < len(newer) < len(seen) and newer[0]["id"] == seen[len(seen) // 2 + 1]
    reports = get(client, url, token, **{"match[type]": "report"}).json()["objects"]
    assert {o["type"] for o in reports} == {"report"}
    one = get(client, f"{url}{reports[0]['id']}/", token).json()["objects"]
    assert [o["id"] for o in one] == [reports[0]["id"]]


@pytest.mark.parametrize(("params", "headers", "status", "says"), [
    ({"limit": "many"}, {}, 400, "limit must be a whole number"),
    ({"added_after": "yesterday"}, {}, 400, "added_after must be a timestamp"),
    ({"match[colour]": "red"}, {}, 400, "unknown parameter"),
    ({"next": "x"}, {}, 400, "next must be"),
    ({}, {"Accept": "text/html"}, 406, "answers in application/taxii+json"),
    ({}, {"Accept": "application/taxii+json;version=2.0"}, 406, "answers in"),
    ({}, {"Authorization": "Bearer hsp_0000000000000000_" + "a" * 43}, 401, "unknown token"),
    ({}, {"Authorization": "Basic dXNlcjpwdw=="}, 401, "Bearer hsp_"),
])
def test_taxii_errors_are_taxii_json(published: dict[str, Any], client: TestClient,
                                     params: dict[str, str], headers: dict[str, str],
                                     status: int, says: str) -> None:
    sent = {"Accept": TAXII, "Authorization": f"Bearer {published['token']}", **headers}
    answer = client.get(_objects_url(published["default"]), params=params, headers=sent)
    assert answer.status_code == status
    assert answer.headers["content-type"] == TAXII
    body = answer.json()
    assert body["http_status"] == str(status) and says in body["description"]


def test_taxii_refuses_writes_unknown_paths_and_cookies(
        world: Graph, published: dict[str, Any], client: TestClient) -> None:
    token, url = published["token"], _objects_url(published["default"])
    posted = client.post(url, headers={"Accept": TAXII, "Authorization": f"Bearer {token}",
                                       "Content-Type": TAXII}, content=b"{}")
    assert posted.status_code == 403 and posted.json()["http_status"] == "403"
    missing = get(client, "/taxii2/api/nowhere/", token)
    assert missing.status_code == 404 and missing.headers["content-type"] == TAXII
    # No token: a TAXII 401 with a challenge, even for a signed-in browser session.
    bare = client.get(url, headers={"Accept": TAXII})
    assert bare.status_code == 401 and bare.headers["www-authenticate"].startswith("Bearer")
    # taxii2-client's own scheme.
    assert client.get(url, headers={"Accept": TAXII, "Authorization": f"Token {token}"}
                      ).status_code == 200


def test_a_revoked_or_expired_partner_reads_nothing(world: Graph, published: dict[str, Any],
                                                     client: TestClient) -> None:
    token = add_partner(world, "Short Lived", [DEFAULT], "admin", expires_days=1)
    url = _objects_url(published["default"])
    assert get(client, url, token).status_code == 200
    world.write("sharing/revoke_partner", name="nobody", at="x")  # a no-op: no such partner
    revoke_partner(world, "Short Lived", "admin")
    refused = get(client, url, token)
    assert refused.status_code == 401 and "revoked" in refused.json()["description"]
    renewed = add_partner(world, "Short Lived", [DEFAULT], "admin", expires_days=1)
    assert get(client, url, token).status_code == 401, "the old token stays dead"
    with world.session() as session:
        session.run("MATCH (p:Partner {name: 'Short Lived'}) "
                    "SET p.expires_at = '2020-01-01T00:00:00+00:00'").consume()
    expired = get(client, url, renewed)
    assert expired.status_code == 401 and "expired" in expired.json()["description"]


def test_every_read_is_audited_in_the_partners_name(world: Graph,
                                                     published: dict[str, Any],
                                                     client: TestClient) -> None:
    get(client, _objects_url(published["default"]), published["token"], limit=3)
    events, _ = list_events(world, actor="partner:Partner One", action="taxii.read")
    assert any(json.loads(e["details"])["endpoint"] == "objects"
               if isinstance(e["details"], str) else e["details"]["endpoint"] == "objects"
               for e in events)


def test_taxii2_client_reads_our_server_over_http(world: Graph,
                                                  published: dict[str, Any]) -> None:
    with served(create_app(world.settings)) as url:
        server = Server(f"{url}/taxii2/", auth=TokenAuth(published["token"]))
        assert server.title.endswith("(Hydrascope)")
        root = server.api_roots[0]
        collection = root.collections[0]
        assert collection.id == published["default"]["collection_id"]
        assert collection.can_read and not collection.can_write
        fetched = []
        for envelope in as_pages(collection.get_objects, per_request=10):
            fetched += envelope.get("objects", [])
        with TestClient(create_app(world.settings)) as client:
            direct = get(client, _objects_url(published["default"]), published["token"],
                         limit=1000).json()["objects"]
        assert [o["id"] for o in fetched] == [o["id"] for o in direct]
        manifest = collection.get_manifest()
        assert len(manifest["objects"]) == min(len(direct), 100)
        report = next(o for o in fetched if o["type"] == "report")
        assert collection.get_object(report["id"])["objects"][0]["id"] == report["id"]
        stranger = Server(f"{url}/taxii2/", auth=TokenAuth("hsp_" + "0" * 16 + "_" + "b" * 43))
        with pytest.raises(Exception, match="401"):
            _ = stranger.title
        with pytest.raises(requests.HTTPError, match="406"):
            collection._conn.get(collection.url + "objects/", headers={"Accept": "text/html"})


def test_cli_decides_publishes_and_manages_partners(world: Graph,
                                                    published: dict[str, Any]) -> None:
    env = {**settings_env(world.settings), "HYDRASCOPE_SHARING_KEY": KEY}
    case_id = published["case_b"]
    changed = run_cli("case", "update", case_id, "--priority", "high", env=env)
    assert changed.returncode == 0, changed.stderr
    assert "priority" in changed.stderr
    nothing = run_cli("case", "update", case_id, env=env)
    assert nothing.returncode == 2 and "at least one of" in nothing.stderr
    again = run_cli("intel", "publish", case_id, env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.split("\t")[1] == DEFAULT
    unknown = run_cli("intel", "publish", "CASE-99999", env=env)
    assert unknown.returncode == 1 and unknown.stderr.strip() == \
        "hydrascope: no case CASE-99999"
    bad = run_cli("intel", "collection", "add", "Bad Name!", env=env)
    assert bad.returncode == 1 and "collection name" in bad.stderr
    made = run_cli("intel", "collection", "add", "addresses", "--share", "ip", "--share",
                   "prefix", env=env)
    assert made.returncode == 0 and made.stdout.strip().endswith("ip,prefix")
    listed = run_cli("intel", "collection", "list", env=env).stdout
    assert "addresses" in listed and DEFAULT in listed
    token = run_cli("intel", "partner", "add", "Partner CLI", "--collection", "addresses",
                    "--expires-days", "30", env=env)
    assert token.returncode == 0 and token.stdout.startswith("hsp_")
    twice = run_cli("intel", "partner", "add", "Partner CLI", "--collection", "addresses",
                    env=env)
    assert twice.returncode == 1 and "revoke it first" in twice.stderr
    assert "Partner CLI\taddresses\tactive" in run_cli("intel", "partner", "list",
                                                       env=env).stdout
    assert run_cli("intel", "partner", "revoke", "Partner CLI", env=env).returncode == 0
    assert "Partner CLI\taddresses\trevoked" in run_cli("intel", "partner", "list",
                                                        env=env).stdout
    gone = run_cli("intel", "partner", "revoke", "No Such", env=env)
    assert gone.returncode == 1 and "no partner" in gone.stderr


def test_admin_page_lists_partners_adds_one_and_revokes_it(
        world: Graph, published: dict[str, Any], client: TestClient) -> None:
    create_user(world, "root-admin", PASSWORD, "admin")
    create_user(world, "plain-analyst", PASSWORD, "analyst")
    get(client, _objects_url(published["default"]), published["token"], limit=5)
    sign_in(client, "root-admin")
    page = soup(client.get("/admin/partners"))
    rows = {r.select("td")[0].get_text(strip=True): [td.get_text(" ", strip=True)
                                                     for td in r.select("td")]
            for r in page.select("#partners tbody tr")}
    assert rows["Partner One"][1] == DEFAULT and rows["Partner One"][3] == "active"
    assert int(rows["Partner One"][6].replace(",", "")) >= 1
    assert rows["Partner Two"][1] == "ip-only"
    reads = [[td.get_text(strip=True) for td in r.select("td")]
             for r in page.select("#reads tbody tr")]
    assert ["Partner One", "objects", DEFAULT, "5"] in [r[1:5] for r in reads]
    collections = {r.select("td")[0].get_text(strip=True): r.get_text(" ", strip=True)
                   for r in page.select("#collections tbody tr")}
    assert "set" in collections[DEFAULT] and "none" in collections["ip-only"]
    csrf = page.select_one("input[name=csrf_token]")["value"]
    added = soup(client.post("/admin/partners", data={
        "csrf_token": csrf, "name": "Web Partner", "collection": DEFAULT,
        "expires_days": "30"}))
    token = added.select_one("#new-token")["value"]
    assert token.startswith("hsp_")
    assert get(client, _objects_url(published["default"]), token).status_code == 200
    again = client.post("/admin/partners", data={"csrf_token": csrf, "name": "Web Partner",
                                                 "collection": DEFAULT})
    assert again.status_code == 422 and "revoke it first" in again.text
    revoked = client.post("/admin/partners/Web%20Partner/revoke", data={"csrf_token": csrf},
                          follow_redirects=False)
    assert revoked.status_code == 303
    assert get(client, _objects_url(published["default"]), token).status_code == 401
    assert client.post("/admin/partners/Web%20Partner/revoke",
                       data={"csrf_token": csrf}).status_code == 409
    assert client.post("/admin/partners/Nobody/revoke",
                       data={"csrf_token": csrf}).status_code == 404
    with TestClient(create_app(world.settings)) as other:
        sign_in(other, "plain-analyst")
        assert other.get("/admin/partners").status_code == 403
