"""The randomized scenario generator: deterministic, wide knob ranges, honest labels."""

from __future__ import annotations

import csv
import json
import math
import re
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from app.cli import main
from app.db.graph import Graph
from app.ingest import load_directory
from app.synth.generator import generate
from app.synth.knobs import (
    BENIGN_KINDS,
    CHOICES,
    KNOB_RANGES,
    LOG_KNOBS,
    default_hydra_share,
    draw_cohort_sizes,
    draw_knobs,
)
from app.synth.randomized import RandomizedGenerator
from tests.test_generator import digest

SEEDS = range(30)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def knobs_of(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "knobs.json").read_text())


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One randomized set of 4,000 accounts with a tenth of them hydra."""
    out = tmp_path_factory.mktemp("randomized")
    generate(out, accounts=4_000, seed=5, randomize=True, hydra_share=0.1)
    return out


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        generate(tmp_path / name, accounts=1_500, seed=seed, randomize=True)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")
    assert {p.name for p in (tmp_path / "a").iterdir()} == {
        "accounts.csv", "sessions.csv", "ip_intel.csv", "labels.csv", "knobs.json"}
    # Knobs depend only on the seed (and the scale), not on the data drawn after them.
    assert knobs_of(tmp_path / "a")["networks"] != knobs_of(tmp_path / "c")["networks"]


@pytest.mark.parametrize("share", [0.005, 0.12])
def test_hydra_share_is_honoured_at_scale(share: float) -> None:
    generator = RandomizedGenerator(20_000, seed=8, hydra_share=share)
    seats = generator.plan()
    assert len(seats) == 20_000
    hydra = sum(seat.kind == "hydra" for seat in seats)
    assert hydra == round(20_000 * share)
    assert sum(k.size for k in generator.knobs) == hydra
    assert len(generator.knobs) >= 3


def test_hydra_share_in_the_written_labels(tmp_path: Path) -> None:
    counts = generate(tmp_path, accounts=2_000, seed=2, randomize=True, hydra_share=0.005)
    rows = read_csv(tmp_path / "labels.csv")
    assert counts["hydra"] == sum(r["label"] == "hydra" for r in rows) == 10
    assert knobs_of(tmp_path)["hydra_share"] == 0.005


def test_default_share_is_drawn_from_the_seed(tmp_path: Path) -> None:
    shares = [default_hydra_share(seed) for seed in SEEDS]
    assert all(0.005 <= s <= 0.12 for s in shares)
    assert min(shares) < 0.01 and max(shares) > 0.06  # log-uniform: both ends are reached
    counts = generate(tmp_path, accounts=1_000, seed=11, randomize=True)
    assert knobs_of(tmp_path)["hydra_share"] == default_hydra_share(11)
    assert counts["hydra"] == max(3, round(1_000 * default_hydra_share(11)))


def test_fixed_level_generator_honours_an_explicit_share(tmp_path: Path) -> None:
    counts = generate(tmp_path, accounts=2_000, seed=3, hydra_share=0.05)
    assert counts["hydra"] == 100
    levels = {r["camouflage"] for r in read_csv(tmp_path / "labels.csv") if r["camouflage"]}
    assert levels == {"low", "medium", "high"}
    with pytest.raises(ValueError, match="outside"):
        generate(tmp_path, accounts=500, hydra_share=0.001)


def test_every_knob_range_is_exercised_over_seeds() -> None:
    networks = [k for seed in SEEDS for k in draw_knobs(seed, 20_000, 0.12)]
    assert len(networks) > 300
    for name, (low, high) in KNOB_RANGES.items():
        values = [float(getattr(k, name)) for k in networks if getattr(k, name) is not None]
        assert len(values) > 30, name
        if name in LOG_KNOBS:
            span = math.log(high) - math.log(low)
            lo_end, hi_end = math.log(min(values)) - math.log(low), \
                math.log(high) - math.log(max(values))
        else:
            span, lo_end, hi_end = high - low, min(values) - low, high - max(values)
        assert 0 <= lo_end < 0.1 * span, (name, min(values))
        assert 0 <= hi_end < 0.1 * span, (name, max(values))
    for name, options in CHOICES.items():
        seen = Counter(getattr(k, name) for k in networks)
        assert set(seen) == set(options), name
        assert min(seen.values()) > 10, (name, seen)
    # Rewrite focus only where it was drawn; focused networks keep to one or two topics,
    # sweeps cover four to all nine.
    assert all(k.rewrite_rate == 0 for k in networks if k.focus in ("reasoning", "rl_batches"))
    assert {len(k.categories) for k in networks if k.subject_mix == "focused"} == {1, 2}
    assert {len(k.categories) for k in networks if k.subject_mix == "sweep"} == set(range(4, 10))
    assert any(k.ban_share == 0 for k in networks) and any(k.ban_share > 0.4 for k in networks)


def test_network_sizes_range_from_tiny_rings_to_large() -> None:
    for seed in SEEDS:
        sizes = [k.size for k in draw_knobs(seed, 20_000, 0.12)]
        assert sum(sizes) == 2_400
        assert any(s < 20 for s in sizes), sizes
        assert sum(8 <= s <= 40 for s in sizes) >= 3, sizes
        assert any(40 < s < 100 for s in sizes), sizes
        assert any(s >= 100 for s in sizes), sizes
        assert max(sizes) <= 700, sizes
    overall = [k.size for seed in SEEDS for k in draw_knobs(seed, 20_000, 0.12)]
    assert max(overall) > 550
    small = [k.size for k in draw_knobs(1, 20_000, 0.005)]
    assert sum(small) == 100 and max(small) < 100


def test_every_benign_kind_appears_at_a_moderate_size() -> None:
    benign = 19_000
    for seed in range(10):
        sizes = draw_cohort_sizes(seed, benign)
        assert set(sizes) == set(BENIGN_KINDS) | {"regular"}
        totals = {kind: sum(groups) for kind, groups in sizes.items()}
        assert sum(totals.values()) == benign
        assert totals["regular"] > 0.55 * benign
        for kind in BENIGN_KINDS:
            assert 0.001 * benign <= totals[kind] <= 0.1 * benign, (seed, kind, totals[kind])
            low, high = BENIGN_KINDS[kind].group or (1, benign)
            assert all(g <= high + low for g in sizes[kind]), (kind, sizes[kind])
    # Tiny populations keep every kind and a regular majority.
    tiny = draw_cohort_sizes(3, 180)
    assert all(sum(g) >= 1 for g in tiny.values())
    assert sum(tiny["regular"]) >= 90


def test_labels_and_knobs_agree(dataset: Path) -> None:
    rows = read_csv(dataset / "labels.csv")
    with open(dataset / "labels.csv", encoding="utf-8") as fh:
        assert fh.readline().strip() == "account_id,label,network,cohort,camouflage"
    knobs = knobs_of(dataset)
    assert knobs["seed"] == 5 and knobs["hydra_share"] == 0.1
    hydra = [r for r in rows if r["label"] == "hydra"]
    benign = [r for r in rows if r["label"] == "benign"]
    assert len(hydra) + len(benign) == len(rows) == 4_000
    assert all(re.fullmatch(r"N\d{2,}", r["network"]) and r["cohort"] == "hydra"
               and r["camouflage"] == "rand" for r in hydra)
    assert all(r["network"] == "" and r["camouflage"] == "" for r in benign)
    sizes = Counter(r["network"] for r in hydra)
    assert sizes == {n["network"]: n["size"] for n in knobs["networks"]}
    assert Counter(r["cohort"] for r in benign) == knobs["cohorts"]
    assert set(knobs["cohorts"]) == set(BENIGN_KINDS) | {"regular"}
    for network in knobs["networks"]:
        assert set(KNOB_RANGES) | set(CHOICES) <= set(network)
    # Nothing in an id gives the answer away.
    assert not any(r["network"] and r["network"] in r["account_id"] for r in rows)


def test_the_data_follows_each_networks_knobs(dataset: Path) -> None:
    knobs = {n["network"]: n for n in knobs_of(dataset)["networks"]}
    network_of = {r["account_id"]: r["network"] for r in read_csv(dataset / "labels.csv")}
    accounts = {r["account_id"]: r for r in read_csv(dataset / "accounts.csv")}
    members: dict[str, list[dict[str, str]]] = defaultdict(list)
    for account_id, network in network_of.items():
        if network:
            members[network].append(accounts[account_id])
    sessions: dict[str, list[dict[str, str]]] = defaultdict(list)
    for s in read_csv(dataset / "sessions.csv"):
        if network_of[s["account_id"]]:
            sessions[network_of[s["account_id"]]].append(s)
    for name, k in knobs.items():
        rows, ss = members[name], sessions[name]
        banned = [r for r in rows if r["status"] == "banned"]
        assert all(r["status_changed_at"] for r in banned)
        if k["ban_share"] == 0:
            assert not banned and k["regrowth_share"] == 0, name
        else:
            ban = datetime.fromisoformat("2026-01-01T00:00:00+00:00").timestamp() \
                + k["ban_day"] * 86_400
            regrown = sum(datetime.fromisoformat(r["created_at"]).timestamp() > ban
                          for r in rows)
            assert regrown >= round(k["size"] * k["regrowth_share"]), name
        payments = [r["payment_fingerprint"] for r in rows if r["payment_fingerprint"]]
        if k["payment"] == "none":
            assert not payments, name
        elif k["payment"] == "unique":
            assert len(set(payments)) == len(payments) == len(rows), name
        else:
            assert len(set(payments)) <= math.ceil(len(rows) / k["accounts_per_card"]), name
        if k["devices"] == "none":
            assert not any(s["device_fingerprint"] for s in ss), name
        if k["api_keys"] == "none":
            assert not any(s["api_key_id"] for s in ss), name
        if k["timing"] == "lockstep" and k["activity"] == "sustained" and len(ss) > 50:
            start, hours = k["shift_start"], k["shift_hours"]
            inside = sum((datetime.fromisoformat(s["started_at"]).hour - start) % 24
                         <= hours for s in ss)
            assert inside / len(ss) > 0.9, name
        if k["proxy"] == "own_exit":
            by_ip = defaultdict(set)
            for s in ss:
                by_ip[s["ip"]].add(s["account_id"])
            assert max(len(a) for a in by_ip.values()) <= 2, name
        templated = 1 - k["filler_share"]
        reasoning = sum(s["reasoning_request"] == "true" for s in ss) / len(ss)
        if len(ss) > 200:
            assert abs(reasoning - k["reasoning_rate"] * templated) < 0.12, name


def test_population_is_mostly_ordinary(dataset: Path) -> None:
    labels = {r["account_id"]: r["cohort"] for r in read_csv(dataset / "labels.csv")}
    cohorts = Counter(labels.values())
    assert cohorts["regular"] > 0.5 * (len(labels) - cohorts["hydra"])
    sessions = read_csv(dataset / "sessions.csv")
    per_account = len(sessions) / len(labels)
    assert 7 <= per_account <= 13
    reasoning: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    for s in sessions:
        group = "hydra" if labels[s["account_id"]] == "hydra" else \
            "regular" if labels[s["account_id"]] == "regular" else "other"
        totals[group] += 1
        reasoning[group] += s["reasoning_request"] == "true"
    assert reasoning["regular"] / totals["regular"] < 0.12
    assert reasoning["hydra"] / totals["hydra"] > 0.2


def test_generate_command_randomized(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["generate", str(tmp_path / "out"), "--randomize",
                                       "--hydra-share", "0.05", "--accounts", "600",
                                       "--seed", "9"])
    assert result.exit_code == 0, result.output
    assert "hydra share 5.00%" in result.output
    assert "30 of 600 accounts" in result.output and "planted networks" in result.output
    assert (tmp_path / "out" / "knobs.json").is_file()


@pytest.mark.parametrize("share", ["0.5", "0.001", "lots"])
def test_generate_rejects_a_share_out_of_range(tmp_path: Path, share: str) -> None:
    result = CliRunner().invoke(main, ["generate", str(tmp_path), "--randomize",
                                       "--hydra-share", share])
    assert result.exit_code == 2
    assert "--hydra-share" in result.output and share in result.output
    assert not (tmp_path / "accounts.csv").exists()


def test_randomized_data_loads_without_rejects(graph: Graph, tmp_path: Path) -> None:
    generate(tmp_path / "d", accounts=800, seed=2, fmt="jsonl", randomize=True,
             hydra_share=0.1)
    report = load_directory(graph, tmp_path / "d", tmp_path / "r.csv", progress=False)
    assert report.rejected == 0
    loaded = graph.run_text("MATCH (a:Account) RETURN collect(a.account_id) AS ids")[0]["ids"]
    assert set(loaded) == {r["account_id"] for r in read_csv(tmp_path / "d" / "labels.csv")}
