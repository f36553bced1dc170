"""The scenario generator: deterministic, realistic enough, loadable without rejects."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from pathlib import Path

import pytest

from app.db.graph import Graph
from app.ingest import load_directory
from app.synth.generator import Generator, generate
from tests.conftest import run_cli


def digest(directory: Path) -> str:
    h = hashlib.sha256()
    for name in sorted(p.name for p in directory.iterdir()):
        h.update(name.encode())
        h.update((directory / name).read_bytes())
    return h.hexdigest()


def labels(directory: Path) -> list[dict[str, str]]:
    with open(directory / "labels.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    generate(tmp_path / "a", accounts=800, seed=3)
    generate(tmp_path / "b", accounts=800, seed=3)
    generate(tmp_path / "c", accounts=800, seed=4)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


def test_population_has_hydra_networks_and_hard_negatives(tmp_path: Path) -> None:
    counts = generate(tmp_path, accounts=5_000, seed=11)
    rows = labels(tmp_path)
    assert len(rows) == counts["accounts"] == 5_000
    by_label = Counter(r["label"] for r in rows)
    assert 0.07 < by_label["hydra"] / len(rows) < 0.15
    cohorts = Counter(r["cohort"] for r in rows if r["label"] == "benign")
    for kind in ("regular", "campus", "team", "integrator", "evaluator", "cgnat", "vpn", "viral"):
        assert cohorts[kind] > 0, kind
    networks = Counter(r["network"] for r in rows if r["label"] == "hydra")
    assert len(networks) >= 10
    assert any(size >= 100 for size in networks.values())
    assert any(size < 20 for size in networks.values())
    levels = {r["camouflage"] for r in rows if r["label"] == "hydra"}
    assert levels == {"low", "medium", "high"}
    # Ids give nothing away: no network name or label inside an account id.
    assert not any(r["network"] and r["network"] in r["account_id"] for r in rows)


def test_planted_networks_share_infrastructure_and_templates(tmp_path: Path) -> None:
    generator = Generator(3_000, seed=5)
    generator.write(tmp_path)
    rows = labels(tmp_path)
    network_of = {r["account_id"]: r["network"] for r in rows}
    with open(tmp_path / "sessions.csv", newline="") as fh:
        sessions = list(csv.DictReader(fh))
    reasoning = Counter()
    totals = Counter()
    for s in sessions:
        group = "hydra" if network_of[s["account_id"]] else "benign"
        totals[group] += 1
        reasoning[group] += s["reasoning_request"] == "true"
    assert reasoning["hydra"] / totals["hydra"] > 0.4
    assert reasoning["benign"] / totals["benign"] < 0.15


def test_generated_data_loads_without_rejects(graph: Graph, tmp_path: Path) -> None:
    generate(tmp_path / "d", accounts=600, seed=2, fmt="jsonl")
    report = load_directory(graph, tmp_path / "d", tmp_path / "r.csv", progress=False)
    assert report.rejected == 0
    loaded = graph.run_text("MATCH (a:Account) RETURN collect(a.account_id) AS ids")[0]["ids"]
    assert set(loaded) == {r["account_id"] for r in labels(tmp_path / "d")}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_generate_command(tmp_path: Path, server_env: dict[str, str], fmt: str) -> None:
    result = run_cli("generate", str(tmp_path / "out"), "--accounts", "400", "--seed", "9",
                     "--format", fmt, env=server_env)
    assert result.returncode == 0, result.stderr
    assert "planted networks" in result.stdout
    assert (tmp_path / "out" / f"sessions.{fmt}").is_file()
    assert (tmp_path / "out" / "labels.csv").is_file()


def test_generate_rejects_bad_options(tmp_path: Path, server_env: dict[str, str]) -> None:
    result = run_cli("generate", str(tmp_path), "--accounts", "ten", env=server_env)
    assert result.returncode == 2
    assert "ten" in result.stderr and "Traceback" not in result.stderr


def test_operator_of_plants_one_operator_across_two_providers(tmp_path: Path) -> None:


    from app.synth.generator import read_operator

    generate(tmp_path / "a", accounts=600, seed=5)
    generate(tmp_path / "b", accounts=600, seed=6, operator_of=tmp_path / "a")
    a, b = read_operator(tmp_path / "a"), read_operator(tmp_path / "b")
    assert set(b.proxies) == set(a.proxies)
    near = sum(1 for t in b.templates if min((t ^ u).bit_count() for u in a.templates) <= 8)
    assert near == len(b.templates)

    def column(path: Path, name: str) -> set[str]:
        with open(path, newline="", encoding="utf-8") as fh:
            return {r[name] for r in csv.DictReader(fh) if r[name]}

    assert not column(tmp_path / "a" / "accounts.csv", "account_id") & column(
        tmp_path / "b" / "accounts.csv", "account_id")
    assert not column(tmp_path / "a" / "accounts.csv", "payment_fingerprint") & column(
        tmp_path / "b" / "accounts.csv", "payment_fingerprint")
    with pytest.raises(ValueError, match="no planted network"):
        read_operator(tmp_path / "a", "N99")
    with pytest.raises(ValueError, match="fixed-level"):
        generate(tmp_path / "c", accounts=600, seed=6, randomize=True,
                 operator_of=tmp_path / "a")
