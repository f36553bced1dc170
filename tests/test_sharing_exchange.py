"""Two providers, each with its own Hydrascope on its own managed Neo4j, exchange a
confirmed network end to end: one operator harvests both (the same proxy pool
and templates, different accounts and cards); A confirms its case, which
publishes it; B pulls A's collection over TAXII with the token A gave it, and
B's graph shows the matches on B's accounts of that operator, with no clear
payment token or device fingerprint of A's in anything B received."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import cases, explore
from app.config import Settings
from app.db.graph import Graph, create_driver
from app.db.managed import ManagedNeo4j
from app.db.migrations import apply_migrations, clear_graph
from app.detect.run import run_detection
from app.ingest import load_directory
from app.sharing.collections import DEFAULT, get_collection
from app.sharing.decisions import decide_case
from app.sharing.indicators import account_reports
from app.sharing.partners import add_partner
from app.synth.generator import generate
from app.web.app import create_app
from tests.conftest import free_port, managed_test_settings, run_cli, served, settings_env

KEY = "agreed-between-a-and-b-0123456789"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def provider_b(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Graph]:
    """Provider B's own managed Neo4j, on another port in another home."""
    settings: Settings = managed_test_settings(tmp_path_factory.mktemp("provider-b"),
                                               free_port())
    settings = settings.model_copy(update={"sharing_key": KEY, "provider_name": "Provider B"})
    server = ManagedNeo4j(settings)
    server.start(say=lambda m: print(m, file=sys.stderr))
    driver = create_driver(settings)
    try:
        graph = Graph(driver, settings)
        apply_migrations(graph)
        yield graph
    finally:
        driver.close()
        server.stop()


def _members_of(export: Path, network: str) -> set[str]:
    with open(export / "labels.csv", newline="", encoding="utf-8") as fh:
        return {r["account_id"] for r in csv.DictReader(fh) if r["network"] == network}


def test_two_providers_exchange_a_confirmed_network(
        driver_graph: Graph, provider_b: Graph,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    out = tmp_path_factory.mktemp("exchange")
    generate(out / "a", accounts=800, seed=5)
    generate(out / "b", accounts=800, seed=6, operator_of=out / "a")
    a = Graph(driver_graph.driver, driver_graph.settings.model_copy(
        update={"sharing_key": KEY, "provider_name": "Provider A"}))
    clear_graph(a)
    load_directory(a, out / "a", out / "a-rejects.csv", progress=False)
    run_detection(a)
    load_directory(provider_b, out / "b", out / "b-rejects.csv", progress=False)

    # A: the detected network holding most of the operator's accounts, confirmed.
    operator_a = _members_of(out / "a", "N01")
    run = explore.latest_run(a)
    assert run
    networks = explore.list_networks(a, run["run_id"], suspected_only=True, min_score=0,
                                     min_size=1, sort="size", descending=True, page=1,
                                     per_page=100).rows
    best, overlap = None, 0
    for network in networks:
        ids = {m["account_id"] for m in explore.network_members(
            a, run["run_id"], network["network_id"], sort="score", descending=True, page=1,
            per_page=5000, total=network["size"]).rows}
        if len(ids & operator_a) > overlap:
            best, overlap = network["network_id"], len(ids & operator_a)
    assert best and overlap >= len(operator_a) // 2
    case_id = cases.create_from_network(a, best, "Operator seen at A", "analyst-a")
    decision = decide_case(a, case_id, "analyst-a", status="confirmed")
    assert decision.published and decision.published.indicators > 0
    token = add_partner(a, "Provider B", [DEFAULT], "admin-a")
    collection_id = get_collection(a, DEFAULT)["collection_id"]

    # B pulls with the CLI, as its operators would.
    with served(create_app(a.settings)) as url:
        env = {**settings_env(provider_b.settings), "HYDRASCOPE_SHARING_KEY": KEY}
        pulled = run_cli("intel", "pull", f"{url}/taxii2/", "--collection", collection_id,
                         "--token", token, env=env)
        assert pulled.returncode == 0, pulled.stderr
        assert pulled.stdout.startswith("Provider A\t")
        assert "indicator_match" not in pulled.stderr
        received = json.dumps(provider_b.read("sharing/list_indicators", q=None,
                                              matched_only=False, skip=0,
                                              limit=100_000)[0]["rows"])
    # B's accounts of the same operator carry A's reports; B's other accounts do not.
    operator_b = _members_of(out / "b", "N01")
    reported = {r for r in operator_b if account_reports(provider_b, [r])}
    assert len(reported) >= len(operator_b) * 0.8, (len(reported), len(operator_b))
    with open(out / "b" / "labels.csv", newline="", encoding="utf-8") as fh:
        benign = [r["account_id"] for r in csv.DictReader(fh) if r["label"] == "benign"]
    flagged_benign = [b for b in benign[:300] if account_reports(provider_b, [b])]
    assert len(flagged_benign) <= 3, flagged_benign
    kinds = {r["kind"] for r in account_reports(provider_b, sorted(operator_b))}
    assert {"address", "template"} & kinds
    # Nothing personal of A's in clear in what B received.
    with open(out / "a" / "accounts.csv", newline="", encoding="utf-8") as fh:
        payments = {r["payment_fingerprint"] for r in csv.DictReader(fh)
                    if r["account_id"] in operator_a and r["payment_fingerprint"]}
    with open(out / "a" / "sessions.csv", newline="", encoding="utf-8") as fh:
        devices = {r["device_fingerprint"] for r in csv.DictReader(fh)
                   if r["account_id"] in operator_a and r["device_fingerprint"]}
    assert payments, "the operator's cards at A"
    for secret in payments | devices:
        assert secret not in received
    rows = json.loads(received)
    assert any(r["kind"] == "payment" and r["hashed"] for r in rows), "sent, but hashed"
