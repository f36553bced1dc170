"""Case benchmark: opening cases and exporting their dossiers at 100 and 2,000 accounts.

    .venv/bin/python bench/cases.py                    # small preset (3,000 accounts)
    .venv/bin/python bench/cases.py --preset medium    # 25,000 accounts, networks of hundreds

Generates, loads and detects into a throw-away managed server, then opens a
case on the largest suspected network (the contract's `case create
--network`) and cases on 100 and 2,000 selected accounts (suspected members
first), and exports each as PDF, JSON and STIX through the CLI, one child at
a time, then once more in process (no start-up). Prints seconds, the
child's peak RSS, pages and bytes; never asserts a timing. Targets: a
2,000-account dossier in under 10 s and 1 GiB, a 100-account one in under 2 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pypdf import PdfReader  # noqa: E402

from app.cases.exports import export_case  # noqa: E402
from app.db.graph import open_graph  # noqa: E402
from app.synth.generator import generate  # noqa: E402
from bench.common import ENTRY_POINT, bench_server, run_measured  # noqa: E402

# Runs one command and reports its own children's peak RSS, so each figure is
# that command's alone.
MEASURE = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, file=sys.stderr)
sys.exit(code)
"""


def measured(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of `hydrascope ARGS` alone."""
    began = time.monotonic()
    result = subprocess.run([sys.executable, "-c", MEASURE, str(ENTRY_POINT), *args], env=env,
                            text=True, capture_output=True, check=False)
    seconds = time.monotonic() - began
    if result.returncode != 0:
        raise SystemExit(f"hydrascope {' '.join(args)} failed: {result.stderr.strip()}")
    return seconds, float(result.stderr.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="small", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=202)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 2000])
    parser.add_argument("--data-root", type=Path, default=None,
                        help="keep generated data here (reused when present)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hydrascope-bench-cases-") as tmp:
        root = Path(tmp)
        data = (args.data_root or root) / f"{args.preset}-{args.seed}"
        if not (data / "labels.csv").exists():
            generate(data, seed=args.seed, preset=args.preset)
        with bench_server(root / "server") as (settings, env):
            run_measured(["load", str(data), "--json", "--rejects", str(root / "r.csv")], env)
            run_measured(["detect", "--json"], env)
            assignments = root / "assignments.csv"
            run_measured(["export", "assignments", str(assignments)], env)
            rows = [line.split(",") for line in assignments.read_text().splitlines()[1:]]
            # Suspected members first (by network), then everyone else.
            ordered = sorted(rows, key=lambda r: (r[3] != "true", r[1] == "", r[1], r[0]))
            networks: dict[str, int] = {}
            for r in rows:
                if r[3] == "true" and r[1]:
                    networks[r[1]] = networks.get(r[1], 0) + 1
            cases: list[tuple[str, str]] = []
            if networks:
                largest = max(networks, key=lambda n: networks[n])
                began = time.monotonic()
                created, _s, _p = run_measured(
                    ["case", "create", "--network", largest, "--title", f"Network {largest}"],
                    env)
                print(f"case create --network {largest} ({networks[largest]} accounts): "
                      f"{time.monotonic() - began:.1f} s")
                cases.append((f"network {largest}", created.stdout.strip()))
            for size in args.sizes:
                ids = root / f"accounts-{size}.txt"
                ids.write_text("\n".join(r[0] for r in ordered[:size]) + "\n")
                began = time.monotonic()
                created, _s, _p = run_measured(
                    ["case", "create", "--accounts", str(ids), "--title",
                     f"Bench {size} accounts"], env)
                print(f"case create --accounts ({size} accounts): "
                      f"{time.monotonic() - began:.1f} s")
                cases.append((f"{size} selected accounts", created.stdout.strip()))
            print(f"{'case':<34} {'format':<6} {'seconds':>8} {'peak MiB':>9} {'pages':>6} "
                  f"{'bytes':>11}")
            for label, case_id in cases:
                for fmt in ("pdf", "json", "stix"):
                    out = root / f"{case_id}.{fmt}"
                    seconds, peak = measured(["case", "export", case_id, str(out),
                                              "--format", fmt], env)
                    pages = len(PdfReader(out).pages) if fmt == "pdf" else ""
                    print(f"{label:<34} {fmt:<6} {seconds:>8.2f} {peak:>9.0f} {pages:>6} "
                          f"{out.stat().st_size:>11,}")
                    if fmt == "json":
                        members = len(json.loads(out.read_bytes())["members"])
                        print(f"{'':<34} ({members} members in the case)")
            # The dossier alone, without the CLI's start-up (interpreter, imports,
            # connection): what a web request pays once the app runs.
            with open_graph(settings) as graph:
                export_case(graph, cases[0][1], "pdf", "bench")  # warm-up: imports, fonts
                for label, case_id in cases:
                    began = time.monotonic()
                    export_case(graph, case_id, "pdf", "bench")
                    print(f"in process: {label:<34} pdf {time.monotonic() - began:6.2f} s")


if __name__ == "__main__":
    main()
