"""A randomized sweep: many generated data sets, each detected in its own throw-away
managed Neo4j, judged by the distribution over the sets and by the worst one.

For each seed (derived from one sweep seed, so a sweep is repeatable and a
longer sweep starts with the sets of a shorter one): generate with
`randomize=True` (the generator draws the hydra share and each network's
knobs from the seed), bulk-load into a new managed server on a free port,
`run_detection`, read back flags and groups, read the Evidence, stop the
server and remove its home; then score ours and the baselines.

With an Evidence cache directory, the Evidence and labels of each seed are
pickled after loading; a seed whose pickle exists skips generate, load and
server and runs the pure part of detection (`app.detect.run.analyse`) in
process, so re-running a sweep after a scoring change takes seconds per set.
The baselines' outputs are cached beside it (they do not change with our
scoring). The pickles are trusted input: keep the cache directory private.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import pickle
import random
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from app.config import Settings
from app.detect.evidence import Evidence
from app.detect.run import DetectParams
from app.errors import HydrascopeError
from app.evaluation.baselines import BASELINES_VERSION
from app.evaluation.dataset import (
    Output,
    baseline_outputs,
    ours_name,
    output_from_analysis,
    output_from_graph,
    reports_for,
)
from app.evaluation.labels import Labels, load_labels
from app.evaluation.metrics import BIG_NETWORK, RECOVERED_SHARE, Report

CACHE_VERSION = 1
# The targets a sweep is judged by (see ../shared/design/DETECTION.md).
TARGET_P10_F1 = 0.95
TARGET_COHORT_FP = 0.01
TARGET_RECOVERED_SETS = 0.9  # share of sets in which every big network is recovered

Say = Callable[[str], None]


class SweepError(HydrascopeError):
    """A sweep cannot run (an external server, a broken cache)."""


def derive_seeds(seed: int, count: int) -> list[int]:
    """The data sets' seeds: fixed for a sweep seed, and a longer sweep's start with a
    shorter one's."""
    rng = random.Random(seed)
    return [rng.randrange(1, 2**31) for _ in range(count)]


def generator_randomizes() -> bool:
    """Whether the generator takes `randomize` (it draws its knobs from the seed)."""
    from app.synth.generator import generate

    return "randomize" in inspect.signature(generate).parameters


def generate_dataset(out: Path, accounts: int, seed: int) -> bool:
    """Generate one data set, randomized when the generator can; whether it was."""
    from app.synth.generator import generate

    if generator_randomizes():
        # Typed loosely: the generator's randomize keyword is new.
        randomized_generate: Any = generate
        randomized_generate(out, accounts=accounts, seed=seed, randomize=True)
        return True
    generate(out, accounts=accounts, seed=seed)
    return False


def read_knobs(data_dir: Path) -> dict[str, Any] | None:
    """The generator's knobs.json of a data set (hydra share, per-network knobs), if any."""
    path = data_dir / "knobs.json"
    if not path.is_file():
        return None
    knobs = json.loads(path.read_text(encoding="utf-8"))
    return knobs if isinstance(knobs, dict) else {"knobs": knobs}


# -- the Evidence cache -------------------------------------------------------


@dataclass
class CachedSet:
    """What a sweep keeps of one loaded data set: enough to detect again without Neo4j."""

    seed: int
    accounts: int
    randomized: bool
    evidence: Evidence
    labels: Labels
    knobs: dict[str, Any] | None
    timings: dict[str, float] = field(default_factory=dict)
    version: int = CACHE_VERSION


def cache_stem(cache_dir: Path, seed: int, accounts: int, randomized: bool) -> Path:
    kind = "random" if randomized else "plain"
    return cache_dir / f"seed-{seed}-accounts-{accounts}-{kind}"


def _write_pickle(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + f".{os.getpid()}.partial")
    with open(partial, "wb") as fh:
        pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(path)


# Evidence fields a full read never fills (an incremental run's links to
# neighbours): an older pickle without them is filled in, not refused.
FILLED = ("links",)


def read_cached(stem: Path, say: Say = lambda _m: None) -> CachedSet | None:
    """The cached set, or None when there is none or it is stale: written by another cache
    version, or holding Evidence from before a field detection now reads was added."""
    path = stem.with_suffix(".evidence.pickle")
    if not path.is_file():
        return None
    with open(path, "rb") as fh:
        cached = pickle.load(fh)  # noqa: S301 - our own cache, see the module docstring
    if not isinstance(cached, CachedSet) or cached.version != CACHE_VERSION:
        say(f"{path} is not an evidence cache of this version: loading the set again")
        return None
    for name in FILLED:
        if name not in vars(cached.evidence):
            setattr(cached.evidence, name, {})
    missing = [f.name for f in fields(Evidence) if f.name not in vars(cached.evidence)]
    if missing:
        say(f"{path} holds Evidence without {', '.join(missing)}: loading the set again")
        return None
    return cached


def write_cached(stem: Path, cached: CachedSet) -> None:
    _write_pickle(stem.with_suffix(".evidence.pickle"), cached)


def cached_baselines(stem: Path | None, evidence: Evidence, say: Say) -> dict[str, Output]:
    """The baselines' outputs, from the cache when they were computed by this version."""
    path = stem.with_suffix(f".baselines-v{BASELINES_VERSION}.pickle") if stem else None
    if path is not None and path.is_file():
        with open(path, "rb") as fh:
            outputs: dict[str, Output] = pickle.load(fh)  # noqa: S301 - our own cache
        return outputs
    outputs = baseline_outputs(evidence, say)
    if path is not None:
        _write_pickle(path, outputs)
    return outputs


# -- one data set ---------------------------------------------------------------


@dataclass
class DatasetResult:
    seed: int
    accounts: int
    randomized: bool
    cached: bool
    knobs: dict[str, Any] | None
    timings: dict[str, float]
    reports: list[Report]

    def report(self, key: str) -> Report:
        return next(r for r in self.reports if r.key == key)

    def as_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "accounts": self.accounts, "randomized": self.randomized,
                "cached": self.cached, "knobs": self.knobs, "timings": self.timings,
                "reports": [r.as_dict() for r in self.reports]}


def load_and_detect(seed: int, accounts: int, base: Settings, work: Path,
                    params: DetectParams, keep: Path | None, say: Say
                    ) -> tuple[CachedSet, Output]:
    """Generate, load into a throw-away managed Neo4j, detect; the loaded set and our
    output as the run wrote it. The server is stopped and its home removed."""
    from app.db.graph import open_graph
    from app.db.managed import throwaway_server
    from app.db.migrations import apply_migrations
    from app.detect.evidence import read_evidence
    from app.detect.run import run_detection
    from app.ingest import load_directory

    timings: dict[str, float] = {}
    data = keep / f"seed-{seed}" if keep else work / f"data-{seed}"
    began = time.monotonic()
    if data.exists():
        shutil.rmtree(data)
    randomized = generate_dataset(data, accounts, seed)
    timings["generate"] = time.monotonic() - began
    labels, knobs = load_labels(data), read_knobs(data)
    began = time.monotonic()
    with throwaway_server(work, base) as settings, open_graph(settings) as graph:
        timings["server"] = time.monotonic() - began
        apply_migrations(graph)
        began = time.monotonic()
        report = load_directory(graph, data, work / f"rejects-{seed}.csv", progress=False,
                                bulk=True)
        if report.rejected:
            say(f"seed {seed}: {report.rejected:,} rows rejected while loading")
        timings["load"] = time.monotonic() - began
        began = time.monotonic()
        run_detection(graph, params)
        ours = output_from_graph(graph)
        timings["detect"] = time.monotonic() - began
        began = time.monotonic()
        evidence = read_evidence(graph)
        timings["read_evidence"] = time.monotonic() - began
        began = time.monotonic()
    timings["server"] += time.monotonic() - began
    if keep is None:
        shutil.rmtree(data, ignore_errors=True)
    cached = CachedSet(seed, accounts, randomized, evidence, labels, knobs,
                       {k: round(v, 2) for k, v in timings.items()})
    return cached, ours


def detect_cached(cached: CachedSet, params: DetectParams) -> Output:
    """Our output on cached Evidence: the pure part of a run, in process."""
    from app.detect.run import analyse

    return output_from_analysis(analyse(cached.evidence, params))


def run_dataset(seed: int, accounts: int, base: Settings, work: Path, params: DetectParams,
                keep: Path | None = None, cache_dir: Path | None = None,
                baselines: bool = True, say: Say = lambda _m: None) -> DatasetResult:
    """One data set of a sweep, from the cache when it holds it."""
    randomized = generator_randomizes()
    stem = cache_stem(cache_dir, seed, accounts, randomized) if cache_dir else None
    cached = read_cached(stem, say) if stem else None
    timings: dict[str, float] = {}
    if cached is not None:
        began = time.monotonic()
        ours = detect_cached(cached, params)
        timings["detect"] = time.monotonic() - began
        from_cache = True
    else:
        cached, ours = load_and_detect(seed, accounts, base, work, params, keep, say)
        timings.update(cached.timings)
        if stem is not None:
            write_cached(stem, cached)
        from_cache = False
    began = time.monotonic()
    outputs = cached_baselines(stem, cached.evidence, lambda _m: None) if baselines else {}
    timings["baselines"] = time.monotonic() - began
    reports = reports_for(cached.labels, (ours_name(params), ours), outputs)
    return DatasetResult(seed, accounts, cached.randomized, from_cache, cached.knobs,
                         {k: round(v, 2) for k, v in timings.items()}, reports)


# -- the sweep --------------------------------------------------------------------


@dataclass
class SweepResult:
    seed: int
    seeds: list[int]
    accounts: int
    randomized: bool
    datasets: list[DatasetResult]
    summary: dict[str, dict[str, Any]]
    targets: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "seeds": self.seeds, "accounts": self.accounts,
                "randomized": self.randomized, "summary": self.summary,
                "targets": self.targets, "datasets": [d.as_dict() for d in self.datasets]}


def sweep(count: int, seed: int = 1, accounts: int = 20_000, settings: Settings | None = None,
          params: DetectParams | None = None, keep: Path | None = None,
          cache_dir: Path | None = None, baselines: bool = True, say: Say = lambda _m: None,
          on_dataset: Callable[[DatasetResult], None] | None = None) -> SweepResult:
    """Run a sweep of `count` randomized data sets (see the module docstring).

    `settings` are those of the managed Neo4j whose jars and memory the throw-away
    servers share (a sweep refuses an external server). `say` gets progress lines;
    `on_dataset` each data set's result as it is done.
    """
    from app.config import load_settings

    settings = settings or load_settings()
    params = params or DetectParams()
    if not settings.managed:
        raise SweepError(
            f"NEO4J_URI is set ({settings.neo4j_uri}): a sweep loads every data set into a "
            "throw-away managed Neo4j of its own; unset NEO4J_URI to run it")
    seeds = derive_seeds(seed, count)
    randomized = generator_randomizes()
    say(f"sweep seed {seed}: data set seeds {' '.join(map(str, seeds))}"
        + ("" if randomized else " (the generator has no randomize yet: plain data sets)"))
    datasets: list[DatasetResult] = []
    with tempfile.TemporaryDirectory(prefix="hydrascope-sweep-") as tmp:
        for number, data_seed in enumerate(seeds, start=1):
            began = time.monotonic()
            say(f"sweep {number}/{count}: seed {data_seed}...")
            result = run_dataset(data_seed, accounts, settings, Path(tmp), params, keep,
                                 cache_dir, baselines, say=say)
            datasets.append(result)
            say(progress_line(number, count, result, time.monotonic() - began))
            if on_dataset is not None:
                on_dataset(result)
    summary = summarize(datasets)
    return SweepResult(seed, seeds, accounts, randomized, datasets, summary,
                       check_targets(summary.get("ours", {}), len(datasets)))


def worst_cohort_text(cohort: str, rate: float) -> str:
    """"campus 2.10%", or "none flagged" when no benign cohort has a false positive."""
    return f"{cohort} {rate:.2%}" if cohort else "none flagged"


def progress_line(number: int, count: int, result: DatasetResult, seconds: float) -> str:
    ours = result.report("ours")
    t = result.timings
    stages = ", ".join(f"{k} {t[k]:.1f}s" for k in ("generate", "load", "detect", "baselines")
                       if k in t)
    source = "from cache" if result.cached else "fresh"
    return (f"sweep {number}/{count}: seed {result.seed} ({source}) F1 {ours.f1:.3f} "
            f"P {ours.precision:.3f} R {ours.recall:.3f}, networks "
            f"{ours.networks_recovered}/{ours.networks_big}, worst cohort FP "
            f"{worst_cohort_text(ours.worst_cohort, ours.worst_cohort_fp)}; {stages}; "
            f"{seconds:.1f}s")


# -- figures over the sets -----------------------------------------------------------


def distribution(values: list[float]) -> dict[str, float | None]:
    """Median, 10th percentile (linear interpolation) and worst (lowest) of the values."""
    if not values:
        return {"median": None, "p10": None, "worst": None, "count": 0}
    array = np.asarray(values, dtype=float)
    return {"median": round(float(np.median(array)), 4),
            "p10": round(float(np.percentile(array, 10)), 4),
            "worst": round(float(array.min()), 4), "count": len(values)}


def summarize(datasets: list[DatasetResult]) -> dict[str, dict[str, Any]]:
    """Per method (ours, then each baseline): the distributions over the data sets."""
    by_method: dict[str, list[tuple[int, Report]]] = defaultdict(list)
    for result in datasets:
        for report in result.reports:
            by_method[report.key].append((result.seed, report))
    summary: dict[str, dict[str, Any]] = {}
    for key, runs in by_method.items():
        network_shares = [n["flagged_group_share"] for _s, r in runs for n in r.networks
                          if n["size"] >= BIG_NETWORK]
        cohorts: dict[str, dict[str, Any]] = {}
        for seed, report in runs:
            for cohort, figures in report.cohort_fp.items():
                entry = cohorts.setdefault(cohort, {"worst": -1.0, "seed": None, "rates": []})
                entry["rates"].append(figures["rate"])
                if figures["rate"] > entry["worst"]:
                    entry["worst"], entry["seed"] = figures["rate"], seed
        summary[key] = {
            "name": runs[0][1].name,
            "f1": distribution([r.f1 for _s, r in runs]),
            "precision": distribution([r.precision for _s, r in runs]),
            "recall": distribution([r.recall for _s, r in runs]),
            "network_recall": distribution(network_shares),
            "networks_big": sum(r.networks_big for _s, r in runs),
            "networks_recovered": sum(r.networks_recovered for _s, r in runs),
            "recovered_per_set": [{"seed": s, "recovered": r.networks_recovered,
                                   "big": r.networks_big} for s, r in runs],
            "sets_all_recovered": sum(1 for _s, r in runs
                                      if r.networks_recovered == r.networks_big),
            "worst_cohort_per_set": [{"seed": s, "cohort": r.worst_cohort,
                                      "rate": r.worst_cohort_fp} for s, r in runs],
            "cohort_fp_worst": {c: {"rate": e["worst"], "seed": e["seed"],
                                    "median": round(float(np.median(e["rates"])), 4)}
                                for c, e in sorted(cohorts.items())},
            "sets": len(runs),
        }
    return summary


def check_targets(method: dict[str, Any], sets: int) -> dict[str, Any]:
    """Whether a method's sweep meets the targets (the recovery target scaled to `sets`)."""
    if not method:
        return {}
    p10 = method["f1"]["p10"]
    worst = max(method["worst_cohort_per_set"], key=lambda w: w["rate"], default=None)
    needed = math.ceil(TARGET_RECOVERED_SETS * sets)
    return {
        "p10_f1": p10, "p10_f1_ok": p10 is not None and p10 >= TARGET_P10_F1,
        "worst_cohort_fp": worst, "cohort_fp_ok": worst is None
        or worst["rate"] <= TARGET_COHORT_FP,
        "sets_all_recovered": method["sets_all_recovered"], "sets_needed": needed,
        "sets": sets, "recovered_ok": method["sets_all_recovered"] >= needed,
    }


def targets_line(targets: dict[str, Any]) -> str:
    if not targets:
        return "targets: no data set"

    def yes(ok: bool) -> str:
        return "yes" if ok else "no"

    worst = targets["worst_cohort_fp"]
    worst_text = f"{worst_cohort_text(worst['cohort'], worst['rate'])}, seed {worst['seed']}" \
        if worst else "-"
    p10 = targets["p10_f1"]
    return (f"targets: 10th-pct F1 >= {TARGET_P10_F1}: {yes(targets['p10_f1_ok'])} "
            f"({p10:.3f}); worst cohort FP <= {TARGET_COHORT_FP:.0%} in every set: "
            f"{yes(targets['cohort_fp_ok'])} ({worst_text}); networks >= {BIG_NETWORK} "
            f"recovered in >= {targets['sets_needed']}/{targets['sets']} sets: "
            f"{yes(targets['recovered_ok'])} ({targets['sets_all_recovered']}/"
            f"{targets['sets']})")


# -- printing -----------------------------------------------------------------------


def _dist(d: dict[str, Any]) -> str:
    if d["median"] is None:
        return "      -             "
    return f"{d['median']:.3f} {d['p10']:.3f} {d['worst']:.3f}"


def _plain(value: Any) -> str:
    return json.dumps(value, separators=(",", ":")) if isinstance(value, list | dict) \
        else str(value)


def format_knobs(knobs: dict[str, Any] | None, report: Report | None = None) -> list[str]:
    """The generator's knobs: its scalars on one line, flat mappings on one line each, and
    the planted networks: each one `report` missed (a network of at least BIG_NETWORK
    accounts not recovered) with all its knobs, the others by size and share found.
    Anything more nested is only in --json."""
    if not knobs:
        return ["      knobs: (no knobs.json: the generator's fixed defaults)"]
    found = {n["network"]: n for n in (report.networks if report else [])}
    scalars = {k: v for k, v in knobs.items() if not isinstance(v, list | dict)}
    lines = ["      knobs: " + ", ".join(f"{k}={v}" for k, v in sorted(scalars.items()))]
    omitted = []
    for key, value in sorted(knobs.items()):
        if isinstance(value, list) and all(isinstance(e, dict) and "network" in e
                                           for e in value):
            lines.extend(_network_knobs(value, found))
        elif isinstance(value, dict) and not any(isinstance(v, list | dict)
                                                 for v in value.values()):
            lines.append(f"        {key}: " + " ".join(f"{k}={v}" for k, v in
                                                       sorted(value.items())))
        elif isinstance(value, list | dict):
            omitted.append(key)
    if omitted:
        lines.append(f"        (in --json only: {', '.join(omitted)})")
    return lines


def _network_knobs(networks: list[dict[str, Any]], found: dict[str, dict[str, Any]]
                   ) -> list[str]:
    lines, others = [], []
    for entry in networks:
        name = entry["network"]
        figures = found.get(name)
        share = f" found {figures['flagged_group_share']:.2f}" if figures else ""
        if figures and figures["size"] >= BIG_NETWORK and not figures["recovered"]:
            rest = " ".join(f"{k}={_plain(v)}" for k, v in sorted(entry.items())
                            if v is not None and k not in ("network", "size"))
            lines.append(f"        missed {name} size {entry.get('size', '?')}{share}: {rest}")
        else:
            others.append(f"{name} ({entry.get('size', '?')}){share}")
    if others:
        lines.append("        other networks: " + ", ".join(others))
    return lines


def format_sweep(result: SweepResult, worst: int | None = None) -> str:
    """The sweep as a table per method, details per method, the worst data sets (a fifth
    of them, one to three, unless `worst` says), timings and the targets line."""
    summary = result.summary
    if worst is None:
        worst = max(1, min(3, math.ceil(len(result.datasets) / 5)))
    kind = "randomized" if result.randomized else \
        "NOT randomized (the generator has no randomize yet: fixed knobs, only seeds differ)"
    lines = [f"sweep: {len(result.datasets)} data sets of {result.accounts:,} accounts, {kind}; "
             f"sweep seed {result.seed}, data set seeds {' '.join(map(str, result.seeds))}",
             "",
             f"{'method':<11} {'F1 med p10 worst':<20} {'precision':<20} {'recall':<20} "
             f"{'net recall (>=' + str(BIG_NETWORK) + ')':<20} {'nets >=90%':<11} "
             f"{'worst cohort FP':>22}"]
    for key, m in summary.items():
        worst_fp = max(m["worst_cohort_per_set"], key=lambda w: w["rate"], default=None)
        fp = worst_cohort_text(worst_fp["cohort"], worst_fp["rate"]) if worst_fp else "-"
        lines.append(f"{key:<11} {_dist(m['f1']):<20} {_dist(m['precision']):<20} "
                     f"{_dist(m['recall']):<20} {_dist(m['network_recall']):<20} "
                     f"{m['networks_recovered']:>5}/{m['networks_big']:<5} {fp:>22}")
    lines.append("")
    for key, m in summary.items():
        lines.append(f"== {key}: {m['name']}")
        per_set = "  ".join(f"{w['seed']} {worst_cohort_text(w['cohort'], w['rate'])}"
                            for w in m["worst_cohort_per_set"])
        lines.append(f"  worst cohort FP per set: {per_set}")
        cohorts = "  ".join(f"{c} {e['rate']:.2%}" for c, e in m["cohort_fp_worst"].items())
        lines.append(f"  cohort FP, worst over sets: {cohorts}")
        recovered = "  ".join(f"{r['seed']} {r['recovered']}/{r['big']}"
                              for r in m["recovered_per_set"])
        lines.append(f"  networks >= {BIG_NETWORK} with >= {RECOVERED_SHARE:.0%} in one flagged "
                     f"group, per set: {recovered}; sets with all: "
                     f"{m['sets_all_recovered']}/{m['sets']}")
    if result.datasets:
        lines.append("")
        lines.append("worst data sets for ours, by F1:")
        by_f1 = sorted(result.datasets, key=lambda d: (d.report("ours").f1, d.seed))
        for d in by_f1[:worst]:
            lines.extend(_dataset_lines(d))
        lines.append("worst data sets for ours, by worst cohort FP:")
        by_fp = sorted(result.datasets, key=lambda d: (-d.report("ours").worst_cohort_fp,
                                                       d.seed))
        for d in by_fp[:worst]:
            lines.extend(_dataset_lines(d))
    lines.append("")
    timing_keys = ("generate", "load", "detect", "baselines")
    lines.append("timings (s): " + "  ".join(
        f"{d.seed}: " + " ".join(f"{k} {d.timings[k]:.1f}" for k in timing_keys
                                 if k in d.timings)
        + (" (cached)" if d.cached else "") for d in result.datasets))
    lines.append(targets_line(result.targets))
    return "\n".join(lines)


def _dataset_lines(d: DatasetResult) -> list[str]:
    ours = d.report("ours")
    missed = [f"{n['network']} {n['flagged_group_share']:.2f}" for n in ours.networks
              if n["size"] >= BIG_NETWORK and not n["recovered"]]
    lines = [f"  seed {d.seed}: F1 {ours.f1:.3f} P {ours.precision:.3f} R {ours.recall:.3f}, "
             f"worst cohort FP {worst_cohort_text(ours.worst_cohort, ours.worst_cohort_fp)}, "
             f"networks "
             f"{ours.networks_recovered}/{ours.networks_big}"
             + (f" (missed: {', '.join(missed)})" if missed else "")]
    lines.extend(format_knobs(d.knobs, ours))
    return lines
