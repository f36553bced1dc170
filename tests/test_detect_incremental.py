"""Incremental detection against the real Neo4j: new heads attached to the network
they regrew, new benign accounts left alone, the run chain as pages and
exports show it, and a full run that completes meanwhile is never hidden."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.db.graph import Graph
from app.detect.incremental import run_incremental
from app.detect.run import DetectError, latest_assignments, run_detection
from app.explore import get_network, latest_run, list_networks
from app.ingest import load_directory
from app.synth.generator import generate
from tests.conftest import run_cli
from tests.scenarios import regrow


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("incremental") / "data"
    generate(out, accounts=1500, seed=21)
    return out


def load(graph: Graph, directory: Path, tmp_path: Path) -> None:
    report = load_directory(graph, directory, tmp_path / "rejects.csv", progress=False,
                            partial=True)
    assert report.rejected == 0


def flagged_in(graph: Graph) -> dict[str, str]:
    return {r["account_id"]: r["network"] for r in latest_assignments(graph) if r["network"]}


def test_new_heads_are_attached_and_benign_sign_ups_left_alone(
        graph: Graph, dataset: Path, tmp_path: Path, server_env: dict[str, str]) -> None:
    load(graph, dataset, tmp_path)
    full = run_detection(graph)
    before = flagged_in(graph)
    network = max(set(before.values()), key=lambda n: sum(v == n for v in before.values()))
    members = sorted(a for a, n in before.items() if n == network)
    heads, folder = regrow(graph, members, 6, tmp_path, "batch1")
    load(graph, folder, tmp_path)

    result = run_incremental(graph)
    assert result.status == "complete" and result.parent == full.run_id
    assert result.changed >= len(heads) + 1
    change = next(c for c in result.networks if c.network_id == network)
    assert set(change.attached) == set(heads)
    assert set(change.new_heads) == set(heads), "signed up after the bans: new heads"
    assert change.size == change.size_before + len(heads)
    attached_anywhere = {a for c in result.networks for a in c.attached}
    assert "batch1-benign" not in attached_anywhere

    # The run chain as the pages and the export show it.
    after = flagged_in(graph)
    assert {after[h] for h in heads} == {network}
    assert "batch1-benign" not in after
    assert {a: n for a, n in after.items() if a not in heads} == before
    run = latest_run(graph)
    assert run is not None and run["run_id"] == result.run_id
    assert run["kind"] == "incremental" and run["chain"] == [result.run_id, full.run_id]
    shown = get_network(graph, result.run_id, network)
    assert shown is not None and shown["run_id"] == result.run_id
    assert shown["size"] == len(members) + len(heads)
    assert set(shown["new_heads"]) == set(heads)
    assert shown["previous_size"] == len(members)
    untouched = next(n for n in set(before.values()) if n != network)
    other = get_network(graph, result.run_id, untouched)
    assert other is not None and other["run_id"] == full.run_id, "unchanged: the parent's"
    listed = list_networks(graph, result.run_id, suspected_only=True, min_score=0.0,
                           min_size=1, sort="score", descending=True, page=1, per_page=500)
    ids = [row["network_id"] for row in listed.rows]
    assert len(ids) == len(set(ids)) == len(set(before.values()))
    # The parent's own view is as it was.
    old = get_network(graph, full.run_id, network)
    assert old is not None and old["size"] == len(members)
    out = tmp_path / "assignments.csv"
    exported = run_cli("export", "assignments", str(out), env=server_env)
    assert exported.returncode == 0, exported.stderr
    with open(out, newline="") as fh:
        rows = {r["account_id"]: r for r in csv.DictReader(fh)}
    assert all(rows[h]["network"] == network and rows[h]["flagged"] == "true" for h in heads)
    assert rows["batch1-benign"]["flagged"] == "false"

    # Nothing new: no run written.
    again = run_incremental(graph)
    assert again.status == "nothing-new" and again.run_id is None

    # A second batch builds on the first incremental run.
    more, folder2 = regrow(graph, members, 2, tmp_path, "batch2")
    load(graph, folder2, tmp_path)
    second = run_incremental(graph)
    assert second.parent == result.run_id
    assert flagged_in(graph).get(more[0]) == network
    third = latest_run(graph)
    assert third is not None and third["chain"] == [second.run_id, result.run_id, full.run_id]
    shown = get_network(graph, second.run_id, network)
    assert shown is not None and shown["size"] == len(members) + len(heads) + len(more)

    # A full run re-clusters over everything and keeps the network's id.
    refreshed = run_detection(graph)
    final = flagged_in(graph)
    assert latest_run(graph)["run_id"] == refreshed.run_id  # type: ignore[index]
    assert {final[h] for h in heads + more} == {network}


def test_the_cli_runs_an_incremental_detection(graph: Graph, dataset: Path, tmp_path: Path,
                                               server_env: dict[str, str]) -> None:
    early = run_cli("detect", "--incremental", env=server_env)
    assert early.returncode == 1 and "run 'hydrascope detect' first" in early.stderr
    assert "Traceback" not in early.stderr
    load(graph, dataset, tmp_path)
    run_detection(graph)
    nothing = run_cli("detect", "--incremental", env=server_env)
    assert nothing.returncode == 0 and "nothing new" in nothing.stdout
    before = flagged_in(graph)
    network = max(set(before.values()), key=lambda n: sum(v == n for v in before.values()))
    heads, folder = regrow(graph, sorted(a for a, n in before.items() if n == network), 3,
                           tmp_path, "cli")
    load(graph, folder, tmp_path)
    done = run_cli("detect", "--incremental", "--json", env=server_env)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["status"] == "complete" and summary["run_id"]
    [change] = [c for c in summary["networks"] if c["network_id"] == network]
    assert sorted(change["attached"]) == sorted(heads)
    assert set(summary["timings"]) >= {"read", "attach", "write"}


def test_a_full_run_completed_meanwhile_supersedes_an_incremental_one(
        graph: Graph, dataset: Path, tmp_path: Path) -> None:
    load(graph, dataset, tmp_path)
    old = run_detection(graph)

    def start(kind: str, run_id: str, parent: str | None, chain: list[str]) -> None:
        graph.write("detect/create_run", run_id=run_id, algorithm=kind, params="{}",
                    kind=kind, parent=parent, chain=chain, read_at=datetime.now(UTC))

    def finish(run_id: str) -> str:
        rows = graph.write("detect/finish_run", run_id=run_id, timings="{}", counts="{}",
                           population="{}", reference=None, changes="{}")
        return str(rows[0]["status"])

    # An incremental run starts on the old run; a full run starts and completes.
    start("incremental", "inc-late", old.run_id, ["inc-late", old.run_id])
    start("full", "full-new", None, ["full-new"])
    assert finish("full-new") == "complete"
    assert finish("inc-late") == "superseded", "it must not hide the newer full run"
    assert latest_run(graph)["run_id"] == "full-new"  # type: ignore[index]
    # In completion order: an incremental run on the latest run completes and shows.
    start("incremental", "inc-next", "full-new", ["inc-next", "full-new"])
    assert finish("inc-next") == "complete"
    assert latest_run(graph)["run_id"] == "inc-next"  # type: ignore[index]


def test_incremental_needs_a_full_run_with_population_figures(graph: Graph, dataset: Path,
                                                              tmp_path: Path) -> None:
    with pytest.raises(DetectError, match="detect' first"):
        run_incremental(graph)
    load(graph, dataset, tmp_path)
    run = run_detection(graph)
    graph.run_text("MATCH (r:DetectionRun {run_id: $id}) REMOVE r.reference", id=run.run_id)
    with pytest.raises(DetectError, match="kept no population figures"):
        run_incremental(graph)
