"""Ingest benchmark: generate, load into an empty graph, load again; then the
server's ceiling for the same sessions on the same server.

    .venv/bin/python bench/ingest.py                      # ~25,000 sessions (make bench)
    .venv/bin/python bench/ingest.py --preset medium      # ~250,000 sessions
    .venv/bin/python bench/ingest.py --preset seed10      # ~2.5 million sessions

Prints rows per second per table, total time, the loader's peak memory, the
store size after the load, and the rerun's time and changes (must be none).
Then, on the same (now warm) server, each into the emptied graph: the loader
again, and the ceiling: one statement (bench/ceiling_sessions.cypher) creating
the same session nodes and the four links the loader writes, without
roll-ups, in batches of 10,000 on one thread, the nodes they link to made
first, untimed; and the loader's session rows/s as a share of the ceiling's.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Settings  # noqa: E402
from app.db.graph import open_graph  # noqa: E402
from app.db.migrations import clear_graph  # noqa: E402
from app.ingest.contract import SESSIONS  # noqa: E402
from app.ingest.readers import find_tables  # noqa: E402
from app.ingest.report import RejectsWriter  # noqa: E402
from app.ingest.transactional import session_params  # noqa: E402
from app.ingest.validate import Validation  # noqa: E402
from app.synth.generator import generate  # noqa: E402
from bench.common import bench_server, run_measured, run_sampled, store_size_mib  # noqa: E402

BENCH = Path(__file__).resolve().parent
CEILING_BATCH = 10_000


def session_batches(data: Path, rejects: Path) -> Iterator[list[dict[str, Any]]]:
    """The clean session rows of a directory, in the loader's batches (of 10,000), as
    the loader's statements take them (`session_params`)."""
    with Validation(find_tables(data), RejectsWriter(rejects), lambda ids: ids,
                    progress=False) as validation:
        for part in validation.tables():
            if part.table is not SESSIONS:
                continue
            for batch in part.batches():
                yield [session_params(row) for row in batch.rows]


def measure_ceiling(settings: Settings, data: Path, root: Path) -> tuple[int, float]:
    """The server's ceiling for the loader's sessions and their four links
    (bench/ceiling_sessions.cypher), on an emptied graph: the rows and the seconds
    the statement took, one transaction per batch of 10,000, on one thread.
    The nodes the links need are created first (bench/ceiling_entities.cypher),
    and each batch's parameters prepared, outside the timed part."""
    entities_q = (BENCH / "ceiling_entities.cypher").read_text(encoding="utf-8")
    sessions_q = (BENCH / "ceiling_sessions.cypher").read_text(encoding="utf-8")
    with open_graph(settings) as graph:
        clear_graph(graph)
        keys: dict[str, set[str]] = {"accounts": set(), "ips": set(), "devices": set(),
                                     "templates": set()}
        for rows in session_batches(data, root / "ceiling-rejects.csv"):
            for param, column in (("accounts", "account_id"), ("ips", "ip"),
                                  ("devices", "device_fingerprint"),
                                  ("templates", "prompt_fingerprint")):
                keys[param].update(r[column] for r in rows if r[column] is not None)
        lists = {param: sorted(values) for param, values in keys.items()}
        longest = max(len(v) for v in lists.values())
        for start in range(0, longest, CEILING_BATCH):
            graph.run_text(entities_q, **{p: v[start:start + CEILING_BATCH]
                                          for p, v in lists.items()})
        del keys, lists
        total, seconds = 0, 0.0
        with graph.session() as session:
            for rows in session_batches(data, root / "ceiling-rejects.csv"):
                began = time.monotonic()
                created = session.execute_write(
                    lambda tx, rows=rows: tx.run(sessions_q, rows=rows).single(strict=True)[0])
                seconds += time.monotonic() - began
                total += int(created)
    return total, seconds


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
    parser.add_argument("--no-ceiling", action="store_true",
                        help="skip the server's ceiling (the loader's figures only)")
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
            warm = ceiling = None
            if not args.no_ceiling:
                # The first load met a cold server (JIT, new store files); the
                # ceiling would meet a warm one. For the ratio, the loader loads
                # again into the emptied graph, warm like the ceiling after it.
                with open_graph(settings) as graph:
                    clear_graph(graph)
                warm_run, _, warm_peak, _ = run_sampled(
                    ["load", str(data), "--json", "--rejects", str(root / "r3.csv")], env)
                warm = json.loads(warm_run.stdout)["tables"]["sessions"], warm_peak
                ceiling = measure_ceiling(settings, data, root)
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
    if ceiling is not None and warm is not None:
        (warm_sessions, warm_peak), (rows, ceiling_seconds) = warm, ceiling
        ceiling_rate = rows / ceiling_seconds
        loader_rate = warm_sessions["read"] / warm_sessions["seconds"]
        print(f"warm server, emptied graph: loader {warm_sessions['read']:,} sessions in "
              f"{warm_sessions['seconds']:.1f}s, {loader_rate:,.0f} rows/s (peak RSS "
              f"{warm_peak:.0f} MiB); ceiling (bench/ceiling_sessions.cypher) {rows:,} "
              f"sessions in {ceiling_seconds:.1f}s, {ceiling_rate:,.0f} rows/s")
        print(f"loader / ceiling: {loader_rate / ceiling_rate:.0%}")


if __name__ == "__main__":
    main()
