"""Detection benchmark: time and peak memory of each stage at growing sizes.

    .venv/bin/python bench/detect.py                          # tiny and small (make bench)
    .venv/bin/python bench/detect.py --presets small medium   # up to ~220,000 sessions
    .venv/bin/python bench/detect.py --presets seed10         # ~2.5 million sessions

For each size: generate, load into an empty managed server, run `hydrascope
detect --json` in a child process, and print per-stage seconds, the child's
peak RSS and the accuracy against the planted labels.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.synth.generator import generate  # noqa: E402
from bench.common import bench_server, run_measured  # noqa: E402


def accuracy(assignments: Path, labels: Path) -> tuple[float, float]:
    with open(labels, newline="") as fh:
        hydra = {r["account_id"] for r in csv.DictReader(fh) if r["label"] == "hydra"}
    with open(assignments, newline="") as fh:
        flagged = {r["account_id"] for r in csv.DictReader(fh) if r["flagged"] == "true"}
    tp = len(flagged & hydra)
    return tp / max(len(flagged), 1), tp / max(len(hydra), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", nargs="+", default=["tiny", "small"],
                        choices=["tiny", "small", "medium", "large", "seed10"])
    parser.add_argument("--seed", type=int, default=202)
    parser.add_argument("--data-root", type=Path, default=None,
                        help="keep generated data here (reused when present)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="hydrascope-bench-") as tmp:
        root = Path(tmp)
        for preset in args.presets:
            data = (args.data_root or root) / f"{preset}-{args.seed}"
            if not (data / "labels.csv").exists():
                generate(data, seed=args.seed, preset=preset)
            with bench_server(root / f"server-{preset}") as (_settings, env):
                run_measured(["load", str(data), "--json", "--rejects", str(root / "r.csv")],
                             env)
                began = time.monotonic()
                result, _seconds, peak = run_measured(["detect", "--json"], env)
                total = time.monotonic() - began
                summary = json.loads(result.stdout)
                out = root / f"assign-{preset}.csv"
                run_measured(["export", "assignments", str(out)], env)
                precision, recall = accuracy(out, data / "labels.csv")
            with open(data / "sessions.csv") as fh:
                sessions = sum(1 for _ in fh) - 1
            rows.append((preset, summary["accounts"], sessions, summary["timings"], total,
                         summary["peak_rss_mib"], precision, recall))
    print(f"{'preset':<8} {'accounts':>9} {'sessions':>10} {'read':>7} {'project':>8} "
          f"{'communities':>12} {'score':>7} {'refine':>7} {'write':>7} {'total':>7} "
          f"{'peak MiB':>9} {'P':>6} {'R':>6}")
    for preset, accounts, sessions, t, total, peak, p, r in rows:
        score = t.get("score", 0) + t.get("rescore", 0)
        print(f"{preset:<8} {accounts:>9,} {sessions:>10,} {t.get('read', 0):>7.1f} "
              f"{t.get('project', 0):>8.1f} {t.get('communities', 0):>12.1f} {score:>7.1f} "
              f"{t.get('refine', 0):>7.1f} {t.get('write', 0):>7.1f} {total:>7.1f} "
              f"{peak:>9,.0f} {p:>6.3f} {r:>6.3f}")


if __name__ == "__main__":
    main()
