"""Evaluation without a database: labels in both formats, metrics, baselines, sweep figures."""

from __future__ import annotations

import csv
import gzip
import os
import random
from pathlib import Path

import pytest

from app.detect.evidence import Evidence
from app.evaluation.baselines import (
    BASELINES,
    account_entity_matrix,
    baseline_fraudar,
    baseline_rules,
    fraudar_blocks,
)
from app.evaluation.labels import Labels, LabelsError, load_labels
from app.evaluation.metrics import evaluate, flagged_group_share
from app.evaluation.sweep import (
    DatasetResult,
    SweepResult,
    check_targets,
    derive_seeds,
    distribution,
    format_sweep,
    summarize,
)
from tests.conftest import run_cli


def write_gz(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


# -- labels -------------------------------------------------------------------


def test_outside_labels_with_separate_cohorts(tmp_path: Path) -> None:
    write_gz(tmp_path / "labels.csv.gz", ["account_id", "label", "network"],
             [["u1", "benign", ""], ["u2", "hydra", "net-h"], ["u3", "hydra", "ring-00"],
              ["u4", "benign", ""]])
    write_gz(tmp_path / "cohorts.csv.gz", ["account_id", "cohort"],
             [["u1", "bootcamp"], ["u2", "hydra-high"], ["u3", "hydra-extreme"]])
    labels = load_labels(tmp_path)
    assert labels.label == {"u1": "benign", "u2": "hydra", "u3": "hydra", "u4": "benign"}
    assert labels.network["u2"] == "net-h" and labels.network["u1"] == ""
    assert labels.cohort["u1"] == "bootcamp"
    assert labels.cohort["u4"] == "benign", "an account without a cohort keeps its label"
    assert labels.camouflage == {"u1": "", "u2": "hydra-high", "u3": "hydra-extreme", "u4": ""}


def test_generated_plain_labels(tmp_path: Path) -> None:
    (tmp_path / "labels.csv").write_text(
        "account_id,label,network,cohort,camouflage\n"
        "a,hydra,N01,hydra,low\nb,benign,,campus,\n", encoding="utf-8")
    labels = load_labels(tmp_path)
    assert labels.cohort == {"a": "hydra", "b": "campus"}
    assert labels.camouflage == {"a": "low", "b": ""}


def test_no_ground_truth_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LabelsError, match=r"labels\.csv .*labels\.csv\.gz with cohorts"):
        load_labels(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    result = run_cli("evaluate", str(tmp_path), env=env)
    assert result.returncode != 0 and "no ground truth" in result.stderr


def test_labels_with_wrong_columns(tmp_path: Path) -> None:
    write_gz(tmp_path / "labels.csv.gz", ["id", "kind"], [["u1", "benign"]])
    with pytest.raises(LabelsError, match="no column account_id, label"):
        load_labels(tmp_path)


# -- metrics ------------------------------------------------------------------


def hand_labels() -> Labels:
    labels = Labels({}, {}, {}, {})
    for network, size, camouflage in (("N1", 20, "low"), ("N2", 25, "high"), ("R", 5, "high")):
        for i in range(size):
            a = f"{network}-{i}"
            labels.label[a], labels.network[a] = "hydra", network
            labels.cohort[a], labels.camouflage[a] = "hydra", camouflage
    for cohort, size in (("campus", 100), ("regular", 200)):
        for i in range(size):
            a = f"{cohort}-{i}"
            labels.label[a], labels.network[a] = "benign", ""
            labels.cohort[a], labels.camouflage[a] = cohort, ""
    return labels


def test_network_recall_counts_only_flagged_accounts_in_one_group() -> None:
    labels = hand_labels()
    group_of: dict[str, str] = {}
    flagged: set[str] = set()
    # N1: 18 flagged in g1, 2 flagged in g2 -> 18/20 = 0.9 in one flagged group
    for i in range(20):
        group_of[f"N1-{i}"] = "g1" if i < 18 else "g2"
        flagged.add(f"N1-{i}")
    # N2: all 25 in g3, but only 20 flagged -> 0.8, though all in one group
    for i in range(25):
        group_of[f"N2-{i}"] = "g3"
        if i < 20:
            flagged.add(f"N2-{i}")
    # R: flagged, no groups: each its own -> 1/5
    flagged |= {f"R-{i}" for i in range(5)}
    # campus: 3 of 100 flagged (in g3)
    for i in range(3):
        group_of[f"campus-{i}"] = "g3"
        flagged.add(f"campus-{i}")
    report = evaluate("t", labels, group_of, flagged)
    by_network = {n["network"]: n for n in report.networks}
    assert by_network["N1"]["flagged_group_share"] == 0.9 and by_network["N1"]["recovered"]
    assert by_network["N2"]["flagged_group_share"] == 0.8 and not by_network["N2"]["recovered"]
    assert by_network["N2"]["best_group_share"] == 1.0
    assert by_network["N2"]["purity"] == round(25 / 28, 4)
    assert by_network["R"]["flagged_group_share"] == 0.2 and not by_network["R"]["recovered"]
    assert (report.networks_big, report.networks_recovered) == (2, 1)
    assert report.cohort_fp["campus"] == {"accounts": 100, "flagged": 3, "rate": 0.03}
    assert report.cohort_fp["regular"]["rate"] == 0.0
    assert (report.worst_cohort, report.worst_cohort_fp) == ("campus", 0.03)
    tp = 20 + 20 + 5
    assert report.precision == round(tp / (tp + 3), 4) and report.recall == round(tp / 50, 4)


def test_flagged_group_share_edge_cases() -> None:
    assert flagged_group_share([], {}, set()) == (None, 0.0)
    assert flagged_group_share(["a", "b"], {"a": "g", "b": "g"}, set()) == (None, 0.0)
    assert flagged_group_share(["a", "b"], {"a": "g", "b": "g"}, {"a", "b"}) == ("g", 1.0)


# -- baselines ----------------------------------------------------------------


def test_rules_baseline_on_known_accounts() -> None:
    ev = Evidence()
    ev.add_account("yes", sessions=10, reasoning=5, requests=160)  # 50%, 16/session
    ev.add_account("few", sessions=9, reasoning=9, requests=200)  # under 10 sessions
    ev.add_account("share", sessions=10, reasoning=4, requests=200)  # exactly 40%
    ev.add_account("short", sessions=20, reasoning=10, requests=300)  # exactly 15/session
    ev.add_account("also", sessions=20, reasoning=20, requests=301)
    ev.add_account("idle")
    group_of, flagged = baseline_rules(ev)
    assert flagged == {"yes", "also"}
    assert group_of == {"yes": "rules", "also": "rules"}


def dense_block_evidence(seed: int = 3) -> tuple[Evidence, set[str]]:
    """300 accounts on 400 devices at random (two each), and 12 accounts that all share
    eight API keys and two addresses."""
    rng = random.Random(seed)
    ev = Evidence()
    for i in range(300):
        a = ev.add_account(f"b{i}")
        for device in rng.sample(range(400), 2):
            ev.entity_uses["device"].append((a, f"d{device}", 3))
    planted = set()
    for i in range(12):
        a = ev.add_account(f"h{i}")
        planted.add(f"h{i}")
        for k in range(8):
            ev.entity_uses["api_key"].append((a, f"k{k}", 5))
        ev.ip_uses.append((a, f"203.0.113.{i % 2}", 4))
        ev.entity_uses["device"].append((a, f"d{rng.randrange(400)}", 1))  # camouflage
    return ev, planted


def test_fraudar_finds_a_planted_dense_block() -> None:
    ev, planted = dense_block_evidence()
    matrix, names = account_entity_matrix(ev)
    assert matrix.shape[0] == ev.size and "api_key|k0" in names
    blocks, chance = fraudar_blocks(matrix)
    assert blocks, "the planted block must be denser than chance"
    first, density = blocks[0]
    assert {ev.account_ids[m] for m in first} == planted and density > chance
    group_of, flagged = baseline_fraudar(ev)
    assert planted <= flagged
    assert len({group_of[a] for a in planted}) == 1
    assert len(flagged - planted) <= 10


def test_baselines_are_listed_with_unique_keys() -> None:
    keys = [key for key, _title, _detect in BASELINES]
    assert keys == ["address-cc", "louvain", "rules", "fraudar"]
    ev, _planted = dense_block_evidence()
    for _key, _title, detect in BASELINES:
        group_of, flagged = detect(ev)
        assert flagged <= set(ev.account_ids) and set(group_of) <= set(ev.account_ids)


# -- sweep figures --------------------------------------------------------------


def test_seeds_are_fixed_and_a_longer_sweep_extends_a_shorter_one() -> None:
    assert derive_seeds(5, 3) == derive_seeds(5, 3)
    assert derive_seeds(5, 20)[:3] == derive_seeds(5, 3)
    assert derive_seeds(6, 3) != derive_seeds(5, 3)
    assert len(set(derive_seeds(5, 20))) == 20


def test_distribution() -> None:
    d = distribution([1.0, 0.5, 0.9, 0.8, 0.7])
    assert d["median"] == 0.8 and d["worst"] == 0.5 and d["count"] == 5
    assert d["p10"] == pytest.approx(0.58)
    assert distribution([])["median"] is None


def dataset(seed: int, f1_fraction: int, campus_flagged: int) -> DatasetResult:
    labels = hand_labels()
    hydra = sorted(labels.hydra())
    flagged = set(hydra[:f1_fraction]) | {f"campus-{i}" for i in range(campus_flagged)}
    group_of = {a: "g" for a in flagged}
    ours = evaluate("ours", labels, group_of, flagged, key="ours")
    other = evaluate("other", labels, {}, set(hydra), key="other")
    knobs = {"hydra_share": 0.14, "networks": [{"network": "N1", "size": 20,
                                                 "proxy": "residential"}]}
    return DatasetResult(seed, 350, True, False, knobs,
                         {"generate": 1.0, "load": 2.0, "detect": 3.0}, [ours, other])


def test_summary_targets_and_table() -> None:
    sets = [dataset(1, 50, 0), dataset(2, 50, 2), dataset(3, 40, 0)]
    summary = summarize(sets)
    assert list(summary) == ["ours", "other"]
    ours = summary["ours"]
    ours_reports = [d.report("ours") for d in sets]
    assert ours["f1"]["worst"] < ours["f1"]["median"] < 1.0 == max(r.f1 for r in ours_reports)
    assert ours["cohort_fp_worst"]["campus"] == {"rate": 0.02, "seed": 2, "median": 0.0}
    assert ours["networks_big"] == 6
    targets = check_targets(ours, len(sets))
    assert targets["sets_needed"] == 3 and not targets["cohort_fp_ok"]
    assert targets["worst_cohort_fp"] == {"seed": 2, "cohort": "campus", "rate": 0.02}
    assert check_targets(ours, 20)["sets_needed"] == 18
    # "other" flags every hydra account but in no group: nothing recovered as one.
    assert summary["other"]["networks_recovered"] == 0
    result = SweepResult(9, [1, 2, 3], 350, True, sets, summary, targets)
    text = format_sweep(result)
    assert "targets: 10th-pct F1 >= 0.95: no" in text
    assert "worst cohort FP <= 1% in every set: no (campus 2.00%, seed 2)" in text
    assert "networks >= 20 recovered in >= 3/3 sets:" in text
    assert "hydra_share=0.14" in text and "other networks: N1 (20) found 1.00" in text
    assert text.index("seed 3: F1") < text.index("worst data sets for ours, by worst cohort FP")


def test_sweep_refuses_an_external_server(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env.update(NEO4J_URI="bolt://127.0.0.1:9", NEO4J_PASSWORD="x",
               HYDRASCOPE_HOME=str(tmp_path))
    result = run_cli("evaluate", "--sweep", "2", env=env)
    assert result.returncode != 0
    assert "NEO4J_URI is set" in result.stderr and "throw-away managed" in result.stderr


def test_evaluate_usage_errors(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env["HYDRASCOPE_HOME"] = str(tmp_path)
    neither = run_cli("evaluate", env=env)
    assert neither.returncode == 2 and "DATA_DIR, or --sweep N" in neither.stderr
    both = run_cli("evaluate", str(tmp_path), "--sweep", "2", env=env)
    assert both.returncode == 2 and "give no DATA_DIR" in both.stderr
    stray = run_cli("evaluate", str(tmp_path), "--evidence-cache", str(tmp_path), env=env)
    assert stray.returncode == 2 and "--evidence-cache only go with --sweep" in stray.stderr
