"""Full detection runs against the real Neo4j: write-back, export, identity across runs."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path

import pytest

from app.db.graph import Graph
from app.detect.run import DetectError, latest_assignments, run_detection
from app.evaluation.labels import read_labels
from app.ingest import load_directory
from app.ingest.contract import ACCOUNTS, SESSIONS
from app.synth.generator import generate
from app.synth.tables import write_table
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("detect") / "data"
    generate(out, accounts=1500, seed=21)
    return out


def load(graph: Graph, directory: Path, tmp_path: Path) -> None:
    report = load_directory(graph, directory, tmp_path / "rejects.csv", progress=False)
    assert report.rejected == 0


def test_detect_and_export_through_the_cli(graph: Graph, dataset: Path, tmp_path: Path,
                                           server_env: dict[str, str]) -> None:
    early = run_cli("export", "assignments", str(tmp_path / "none.csv"), env=server_env)
    assert early.returncode != 0 and "no detection run yet" in early.stderr

    load(graph, dataset, tmp_path)
    result = run_cli("detect", "--json", env=server_env)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["flagged_networks"] >= 5
    assert set(summary["timings"]) >= {"read", "project", "communities", "score", "write"}

    out = tmp_path / "assignments.csv"
    exported = run_cli("export", "assignments", str(out), env=server_env)
    assert exported.returncode == 0, exported.stderr
    with open(out, newline="") as fh:
        reader = csv.reader(fh)
        assert next(reader) == ["account_id", "network", "score", "flagged"]
        rows = list(reader)
    labels = read_labels(dataset / "labels.csv")
    assert {r[0] for r in rows} == set(labels.label)
    for _account, network, score, flagged in rows:
        assert flagged in ("true", "false")
        assert (network != "") == (flagged == "true")
        assert 0.0 <= float(score) <= 1.0
    flagged_ids = {r[0] for r in rows if r[3] == "true"}
    hydra = {a for a, lab in labels.label.items() if lab == "hydra"}
    precision = len(flagged_ids & hydra) / len(flagged_ids)
    recall = len(flagged_ids & hydra) / len(hydra)
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)


def test_write_back_is_complete_and_explained(graph: Graph, dataset: Path,
                                              tmp_path: Path) -> None:
    load(graph, dataset, tmp_path)
    result = run_detection(graph)
    run = graph.run_text("MATCH (r:DetectionRun {run_id: $id}) RETURN r {.*} AS r",
                         id=result.run_id)[0]["r"]
    assert run["status"] == "complete" and json.loads(run["timings"])
    networks = graph.run_text(
        "MATCH (n:Network {run_id: $id}) RETURN n.network_id AS id, n.flagged AS flagged, "
        "n.evidence AS evidence, n.reasons AS reasons, n.size AS size, "
        "COUNT { (n)<-[:MEMBER_OF]-() } AS members", id=result.run_id)
    assert len(networks) == result.networks
    for network in networks:
        assert network["id"].startswith("HN-")
        assert network["size"] == network["members"]
        features = json.loads(network["evidence"])
        assert {"name", "value", "baseline", "contribution", "reason"} <= set(features[0])
        if network["flagged"]:
            assert network["reasons"], "a flagged network must say why"


def test_network_identity_and_new_heads_across_runs(graph: Graph, dataset: Path,
                                                    tmp_path: Path) -> None:
    load(graph, dataset, tmp_path)
    first = run_detection(graph)
    before = {r["account_id"]: r["network"] for r in latest_assignments(graph) if r["network"]}
    second = run_detection(graph)
    after = {r["account_id"]: r["network"] for r in latest_assignments(graph) if r["network"]}
    assert first.run_id != second.run_id
    assert after == before, "an unchanged graph must keep every network id"
    assert second.changes["new"] == 0

    # Ban the whole biggest flagged network; new heads sign up on its infrastructure.
    network = max(set(before.values()), key=lambda n: sum(v == n for v in before.values()))
    heads = [a for a, n in before.items() if n == network]
    info = graph.run_text(
        "MATCH (a:Account) WHERE a.account_id IN $ids "
        "OPTIONAL MATCH (a)-[:HAS_SESSION]->(s:Session) "
        "RETURN a.account_id AS id, a.created_at AS created, a.payment_fingerprint AS payment, "
        "collect(s {.*, ip: s.ip, started_at: s.started_at})[0..3] AS sessions", ids=heads)
    latest = max(row["sessions"][0]["started_at"].to_native() for row in info if row["sessions"])
    ban_at = latest + timedelta(days=1)
    banned = [{"account_id": row["id"], "created_at": row["created"].to_native(),
               "payment_fingerprint": row["payment"], "status": "banned",
               "status_changed_at": ban_at} for row in info]
    regrown, sessions = [], []
    for i, row in enumerate(info[:8]):
        new_id = f"regrown-{i}"
        regrown.append({"account_id": new_id, "created_at": ban_at + timedelta(hours=i + 1),
                        "payment_fingerprint": row["payment"]})
        for j, old in enumerate(row["sessions"]):
            sessions.append({**{k: v for k, v in old.items() if k in SESSIONS.by_name},
                             "session_id": f"{new_id}-s{j}", "account_id": new_id,
                             "started_at": ban_at + timedelta(days=1, hours=j),
                             "ended_at": ban_at + timedelta(days=1, hours=j, minutes=5)})
    later = tmp_path / "later"
    write_table(later, ACCOUNTS, banned + regrown)
    write_table(later, SESSIONS, sessions)
    load(graph, later, tmp_path)
    third = run_detection(graph)
    now = {r["account_id"]: r["network"] for r in latest_assignments(graph) if r["network"]}
    regrown_networks = {now.get(f"regrown-{i}") for i in range(len(regrown))}
    assert regrown_networks == {network}, "new heads must join the network they regrew"
    row = graph.run_text("MATCH (n:Network {network_id: $n, run_id: $r}) "
                         "RETURN n.new_heads AS heads, n.joined AS joined, "
                         "EXISTS { (n)-[:CONTINUES]->(:Network) } AS continues",
                         n=network, r=third.run_id)[0]
    assert row["continues"]
    assert set(row["heads"]) >= {f"regrown-{i}" for i in range(len(regrown))}
    assert third.changes["new_heads"] >= len(regrown)


def test_detect_on_an_empty_graph_is_a_clear_error(graph: Graph) -> None:
    with pytest.raises(DetectError, match="no accounts"):
        run_detection(graph)


def test_evaluate_command_reports_accuracy_and_baselines(graph: Graph, tmp_path: Path,
                                                         server_env: dict[str, str]) -> None:
    data = tmp_path / "data"
    generate(data, accounts=600, seed=8)
    first = run_cli("evaluate", str(data), "--no-baselines", env=server_env)
    assert first.returncode == 0, first.stderr
    assert "precision" in first.stdout and "benign cohorts flagged" in first.stdout
    refused = run_cli("evaluate", str(data), env=server_env)
    assert refused.returncode != 0 and "already holds accounts" in refused.stderr
    result = run_cli("evaluate", str(data), "--reset", "--json", env=server_env)
    assert result.returncode == 0, result.stderr
    reports = json.loads(result.stdout)["reports"]
    assert len(reports) == 5 and all(r["name"].startswith("baseline") for r in reports[1:])
    assert [r["key"] for r in reports] == ["ours", "address-cc", "louvain", "rules", "fraudar"]
    ours = reports[0]
    assert ours["hydra"] > 0 and 0 <= ours["precision"] <= 1 and 0 <= ours["recall"] <= 1
    assert set(ours["cohort_fp"]) >= {"regular", "campus", "team"}
