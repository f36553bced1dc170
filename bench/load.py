"""Load benchmark: concurrent signed-in clients mixing what investigators do.

    .venv/bin/python bench/load.py                        # small generated set (make bench)
    .venv/bin/python bench/load.py --home /path/to/home   # e.g. the seed/10 preset
    .venv/bin/python bench/load.py --home H --soak 300    # five minutes; memory over time

Each client (a thread with its own signed-in HTTP connection) loops over a
mix of the dashboard, network pages, account pages, searches and library
query runs, for a fixed number of requests in all (or for --soak seconds).
Prints throughput, latency percentiles, the error count, and the app
process's memory at the start and end (and every 30 s when soaking).
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import threading
import time
from contextlib import closing
from pathlib import Path
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.web import bench_app, percentile, signed_in, timed_get  # noqa: E402


def request_mix(client: httpx.Client) -> list[str]:
    """URLs an investigator's day is made of, drawn from the data."""
    networks = client.get("/api/networks?per_page=20").json()["networks"]
    if not networks:
        raise SystemExit("no suspected network: load data and run 'hydrascope detect' first")
    urls = ["/", "/?sort=size&order=desc", "/queries"]
    for network in networks[:10]:
        base = "/networks/" + quote(network["network_id"], safe="")
        urls += [base, f"{base}/infrastructure", f"{base}?page=2&sort=sessions"]
        members = client.get(f"/api{base}/members?per_page=3").json()["members"]
        for member in members:
            urls.append("/accounts/" + quote(member["account_id"], safe=""))
            urls.append("/search?q=" + quote(member["account_id"][:5]))
    urls += ["/queries/token_spend_by_network?run=1",
             "/queries/reasoning_rate_outliers?run=1",
             "/queries/payment_shared_with_banned?run=1"]
    return urls


# Requests that failed or took over 10 s in the last drive: (url, answered 200, seconds).
troubles: list[tuple[str, bool, float]] = []


def drive(clients: list[httpx.Client], urls: list[str], requests: int | None,
          seconds: float | None, on_tick: object = None) -> tuple[list[float], int, float]:
    timings: list[float] = []
    errors = [0]
    troubles.clear()
    lock = threading.Lock()
    counter = itertools.count()
    deadline = time.monotonic() + seconds if seconds else None

    def work(client: httpx.Client, seed: int) -> None:
        rng = random.Random(seed)
        while True:
            with lock:
                done = next(counter)
            if (requests is not None and done >= requests) or \
                    (deadline is not None and time.monotonic() > deadline):
                return
            url = rng.choice(urls)
            took, ok = timed_get(client, url)
            with lock:
                timings.append(took)
                errors[0] += 0 if ok else 1
                if not ok or took > 10:
                    troubles.append((url, ok, took))

    began = time.monotonic()
    threads = [threading.Thread(target=work, args=(c, i)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        time.sleep(1)
        if callable(on_tick):
            on_tick()
    return timings, errors[0], time.monotonic() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", help="HYDRASCOPE_HOME of a loaded and detected graph")
    parser.add_argument("--preset", default="small", help="generated set when no --home")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--soak", type=float, help="run for this many seconds instead")
    args = parser.parse_args()
    with bench_app(args.home, args.preset) as (base, process, _neo4j):
        with closing(signed_in(base)) as client:
            urls = request_mix(client)
        clients = [signed_in(base) for _ in range(args.clients)]
        for url in urls:                      # warm the query plans once
            clients[0].get(url)
        memory = [(0.0, process.memory_info().rss / 2**20)]
        started = time.monotonic()
        last = [started]

        def sample() -> None:
            if time.monotonic() - last[0] >= 30:
                last[0] = time.monotonic()
                memory.append((last[0] - started, process.memory_info().rss / 2**20))

        timings, errors, wall = drive(clients, urls, None if args.soak else args.requests,
                                      args.soak, sample)
        memory.append((time.monotonic() - started, process.memory_info().rss / 2**20))
        for c in clients:
            c.close()
    print(f"{args.clients} clients, {len(timings)} requests over {len(urls)} URLs in {wall:.1f} s")
    print(f"throughput {len(timings) / wall:.1f} requests/s; errors {errors}")
    print(f"latency ms: p50 {statistics.median(timings) * 1000:.1f}  "
          f"p95 {percentile(timings, .95) * 1000:.1f}  p99 {percentile(timings, .99) * 1000:.1f}  "
          f"max {max(timings) * 1000:.1f}")
    print("app RSS MiB over time: " + ", ".join(f"{t:.0f}s {m:.0f}" for t, m in memory))
    for url, ok, took in troubles:
        print(f"{'slow' if ok else 'failed'}: {url} after {took:.1f} s")


if __name__ == "__main__":
    main()
