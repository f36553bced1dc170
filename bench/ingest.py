"""Ingest benchmark: generate, load into an empty graph, load again.

    .venv/bin/python bench/ingest.py                      # ~25,000 sessions (make bench)
    .venv/bin/python bench/ingest.py --preset medium      # ~250,000 sessions
    .venv/bin/python bench/ingest.py --preset seed10      # ~2.5 million sessions

Prints rows per second per table, total time, the loader's peak memory, the
store size after the load, and the rerun's time and changes (must be none).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.synth.generator import generate  # noqa: E402
from bench.common import bench_server, run_measured, run_sampled, store_size_mib  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="small",
                        choices=["tiny", "small", "medium", "large", "seed10"])
    parser.add_argument("--accounts", type=int, default=None)
    parser.add_argument("--format", default="csv")
    parser.add_argument("--seed", type=int, default=101)
    parser.add_argument("--bulk", action="store_true",
                        help="first load through the offline importer (hydrascope load --bulk)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="generate into this directory and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hydrascope-bench-") as tmp:
        root = Path(tmp)
        data = args.keep or root / "data"
        if not (data / "labels.csv").exists():
            began = time.monotonic()
            counts = generate(data, accounts=args.accounts, seed=args.seed, fmt=args.format,
                              preset=args.preset)
            print(f"generated {counts['accounts']:,} accounts, {counts['sessions']:,} sessions "
                  f"in {time.monotonic() - began:.1f}s")
        with bench_server(root) as (settings, env):
            first, seconds, peak, peak_tree = run_sampled(
                ["load", str(data), "--json", "--rejects", str(root / "r.csv")]
                + (["--bulk"] if args.bulk else []), env)
            report = json.loads(first.stdout)
            store = store_size_mib(settings)
            again, seconds_again, _ = run_measured(
                ["load", str(data), "--json", "--rejects", str(root / "r2.csv")], env)
            report_again = json.loads(again.stdout)
    print(f"first load: {'bulk import' if args.bulk else 'transactions'}")
    print(f"{'table':<9} {'rows':>11} {'rejected':>9} {'seconds':>9} {'rows/s':>9}")
    for name, table in report["tables"].items():
        print(f"{name:<9} {table['read']:>11,} {table['rejected']:>9,} {table['seconds']:>9.1f} "
              f"{table['rows_per_second'] or 0:>9,}")
    for step, step_seconds in report.get("steps", {}).items():
        print(f"  then {step}: {step_seconds:.1f}s")
    sessions = report["tables"]["sessions"]["read"]
    print(f"total: {seconds:.1f}s end to end ({sessions / seconds:,.0f} session rows/s "
          f"including process start and accounts), loader peak RSS {peak:.0f} MiB "
          f"(with the processes it starts: {peak_tree:.0f} MiB)")
    if store is not None:
        print(f"store size after load: {store:,.0f} MiB")
    new_again = sum(t["new"] for t in report_again["tables"].values())
    print(f"rerun: {seconds_again:.1f}s ({seconds_again / seconds:.0%} of the first load), "
          f"new rows on rerun: {new_again}")


if __name__ == "__main__":
    main()
