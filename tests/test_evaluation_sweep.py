"""A sweep through the CLI: three tiny data sets, each in a throw-away managed Neo4j the
sweep starts itself, then the same sweep again from the Evidence cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.evaluation.sweep import derive_seeds
from tests.conftest import run_cli

KEYS = ["ours", "address-cc", "louvain", "rules", "fraudar"]


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_sweep_of_three_tiny_sets_and_its_evidence_cache(server_env: dict[str, str],
                                                         tmp_path: Path) -> None:
    if server_env.get("NEO4J_URI"):
        pytest.skip("a sweep needs throw-away managed servers (NEO4J_URI is set)")
    cache, keep = tmp_path / "cache", tmp_path / "keep"
    args = ["evaluate", "--sweep", "3", "--accounts", "600", "--seed", "4",
            "--evidence-cache", str(cache)]
    fresh = run_cli(*args, "--keep", str(keep), "--json", env=server_env, timeout=1700)
    assert fresh.returncode == 0, fresh.stderr
    result = json.loads(fresh.stdout)
    seeds = derive_seeds(4, 3)
    assert result["seeds"] == seeds and [d["seed"] for d in result["datasets"]] == seeds
    assert f"data set seeds {' '.join(map(str, seeds))}" in fresh.stderr
    for number in (1, 2, 3):
        assert f"sweep {number}/3: seed {seeds[number - 1]} (fresh) F1" in fresh.stderr
    for dataset in result["datasets"]:
        assert not dataset["cached"]
        assert {"generate", "load", "detect", "baselines"} <= set(dataset["timings"])
        assert [r["key"] for r in dataset["reports"]] == KEYS
        ours = dataset["reports"][0]
        assert ours["hydra"] > 0 and 0 <= ours["f1"] <= 1 and ours["cohort_fp"]
        assert (keep / f"seed-{dataset['seed']}" / "labels.csv").is_file()
        if dataset["randomized"]:
            assert dataset["knobs"] and "hydra_share" in dataset["knobs"]
    assert set(result["summary"]) == set(KEYS)
    assert result["targets"]["sets"] == 3 and result["targets"]["sets_needed"] == 3
    assert len(list(cache.glob("*.evidence.pickle"))) == 3

    cached = run_cli(*args, "--json", env=server_env, timeout=600)
    assert cached.returncode == 0, cached.stderr
    again = json.loads(cached.stdout)
    assert all(d["cached"] for d in again["datasets"])
    assert "(from cache)" in cached.stderr
    for before, after in zip(result["datasets"], again["datasets"], strict=True):
        assert after["reports"] == before["reports"], \
            f"seed {before['seed']}: the cached path must agree with the loaded one"
    assert again["summary"] == result["summary"]

    text = run_cli(*args, env=server_env, timeout=600)
    assert text.returncode == 0, text.stderr
    assert "F1 med p10 worst" in text.stdout and "worst data sets for ours, by F1" in text.stdout
    last = text.stdout.strip().splitlines()[-1]
    assert last.startswith("targets: 10th-pct F1 >= 0.95: ")
    assert "networks >= 20 recovered in >= 3/3 sets" in last
