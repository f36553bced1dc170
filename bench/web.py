"""Web benchmark: latency of pages and htmx fragments under concurrent clients.

    .venv/bin/python bench/web.py                       # small generated set (make bench)
    .venv/bin/python bench/web.py --home /path/to/home  # a home already loaded and detected,
                                                        # e.g. the seed/10 preset

Serves the app (`hydrascope serve`) in a child process, signs in N clients
(threads, one HTTP connection each), warms every URL with unmeasured requests
(query plans, caches, the JIT of a freshly started Neo4j), then has the clients
share a fixed number of requests per kind: the dashboard, the
page of the largest network, their htmx fragments, the network's lazy panels,
its graph data, an address page and a search. Prints count, median, p95, p99
and errors per kind, the CPU each request cost the app, Neo4j and this client
(all share the machine's cores, so the medians follow their sum), and the app
process's RSS.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.synth.generator import generate  # noqa: E402
from bench.common import ENTRY_POINT, bench_server, free_port, run_measured  # noqa: E402

USER, PASSWORD = "bench-web", "bench-web-password"


@contextmanager
def data_env(home: str | None, preset: str) -> Iterator[dict[str, str]]:
    """The environment of a graph with data and a detection run."""
    if home:
        env = dict(os.environ, HYDRASCOPE_HOME=home)
        subprocess.run([str(ENTRY_POINT), "db", "start"], env=env, check=True)
        yield env
        return
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp, \
            bench_server(Path(tmp)) as (_settings, env):
        data = Path(tmp) / "data"
        generate(data, preset=preset, seed=7)
        run_measured(["load", str(data), "--json"], env)
        run_measured(["detect", "--json"], env)
        yield env


@contextmanager
def bench_app(home: str | None, preset: str, workers: int = 1
              ) -> Iterator[tuple[str, psutil.Process, psutil.Process | None]]:
    """The app served over a graph with data, and a viewer login for the clients; the
    app's address and process, and the managed Neo4j's process (None when external)."""
    with data_env(home, preset) as env:
        subprocess.run([str(ENTRY_POINT), "user", "add", USER, "--role", "viewer"], env=env,
                       input=PASSWORD + "\n", text=True, capture_output=True, check=False)
        with served(env, workers) as (base, app):
            yield base, app, managed_neo4j(env)


def managed_neo4j(env: dict[str, str]) -> psutil.Process | None:
    """The managed server's JVM (started with --home-dir under HYDRASCOPE_HOME)."""
    if env.get("NEO4J_URI") or not env.get("HYDRASCOPE_HOME"):
        return None
    home = Path(env["HYDRASCOPE_HOME"]).resolve()
    for process in psutil.process_iter(["cmdline"]):
        for arg in process.info["cmdline"] or []:
            if arg.startswith("--home-dir=") and home in Path(arg[11:]).resolve().parents:
                return process
    return None


@contextmanager
def served(env: dict[str, str], workers: int = 1) -> Iterator[tuple[str, psutil.Process]]:
    """`hydrascope serve` in a child. Its log goes to a file, never to a pipe nobody
    reads (a full pipe would stall the app at its next log line); the file's
    path is printed when it holds an error."""
    port = free_port()
    log_path = Path(tempfile.gettempdir()) / f"hydrascope-bench-app-{port}.log"
    with open(log_path, "w", encoding="utf-8") as log:
        child = subprocess.Popen([str(ENTRY_POINT), "serve", "--port", str(port), "--workers",
                                  str(workers), "--no-access-log"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=log, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or child.poll() is not None:
                raise SystemExit("the app did not start:\n" + log_path.read_text())
            time.sleep(0.2)
        yield base, psutil.Process(child.pid)
    finally:
        child.terminate()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:   # a request still running: no need to wait
            child.kill()
            child.wait()
        text = log_path.read_text(errors="replace")
        if "Traceback" in text or "ERROR" in text:
            print(f"the app logged errors: {log_path}", file=sys.stderr)
        else:
            log_path.unlink(missing_ok=True)


def signed_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    page = client.get("/login").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post("/login", data={"username": USER, "password": PASSWORD,
                                         "csrf_token": token, "next": "/"})
    if answer.status_code >= 400:
        raise SystemExit(f"sign-in failed: {answer.status_code}")
    return client


def targets(client: httpx.Client, network_id: str | None) -> dict[str, tuple[str, bool]]:
    """Kind -> (URL, as an htmx fragment)."""
    if network_id:
        top = client.get("/api/networks/" + quote(network_id, safe="")).json()
    else:
        networks = client.get("/api/networks?sort=size&order=desc&per_page=1").json()
        if not networks["networks"]:
            raise SystemExit("no suspected network: load data and run 'hydrascope detect' "
                             "first")
        top = networks["networks"][0]
    network = "/networks/" + quote(top["network_id"], safe="")
    shared = client.get(f"/api{network}/infrastructure").json()["shared"]
    address = shared.get("address", [{"key": "0.0.0.0"}])[0]["key"]
    print(f"network {top['network_id']}: {top['size']:,} accounts, "
          f"{top['sessions']:,} sessions")
    return {
        "dashboard page": ("/", False),
        "dashboard fragment (sort)": ("/?sort=size&order=desc", True),
        "network page": (network, False),
        "members fragment (page 2)": (f"{network}?page=2&sort=sessions", True),
        "shared infrastructure panel": (f"{network}/infrastructure", True),
        "activity panel": (f"{network}/activity", True),
        "graph data (JSON)": (f"/api{network}/graph", False),
        "address page": ("/addresses/" + quote(address, safe=""), False),
        "search fragment": ("/search?q=" + quote(address[:5]), True),
    }


def timed_get(client: httpx.Client, url: str,
              headers: dict[str, str] | None = None) -> tuple[float, bool]:
    """Seconds one GET took, and whether it answered 200."""
    began = time.perf_counter()
    try:
        ok = client.get(url, headers=headers or {}).status_code == 200
    except httpx.HTTPError:
        ok = False
    return time.perf_counter() - began, ok


def hammer(clients: list[httpx.Client], url: str, headers: dict[str, str],
           requests: int) -> tuple[list[float], int]:
    """Have the clients share `requests` GETs of one URL; each one's seconds, and errors."""
    timings: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = iter(range(requests))

    def work(client: httpx.Client) -> None:
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            took, ok = timed_get(client, url, headers)
            with lock:
                timings.append(took)
                errors[0] += 0 if ok else 1

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return timings, errors[0]


def cpu_seconds(processes: list[psutil.Process]) -> list[float]:
    """CPU seconds (user + system) used so far by each process and its children, and by
    this client process."""
    used = []
    for process in processes:
        try:
            tree = [process, *process.children(recursive=True)]
        except psutil.NoSuchProcess:
            tree = []
        total = 0.0
        for member in tree:
            try:
                times = member.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        used.append(total)
    return [*used, time.process_time()]


def measure(base: str, urls: dict[str, tuple[str, bool]], clients: int, requests: int,
            watched: list[psutil.Process], warmup: int = 1
            ) -> dict[str, tuple[list[float], int, list[float]]]:
    """Per kind: each request's seconds, errors, and CPU ms per request of each watched
    process (with its children) and of this client."""
    sessions = [signed_in(base) for _ in range(clients)]
    # Unmeasured rounds first: query plans, per-process caches and the JIT of a
    # freshly started Neo4j warm up, so the figures are those of a server in use.
    for url, fragment in urls.values():
        hammer(sessions, url, {"HX-Request": "true"} if fragment else {}, warmup)
    results = {}
    for kind, (url, fragment) in urls.items():
        before = cpu_seconds(watched)
        timings, errors = hammer(sessions, url, {"HX-Request": "true"} if fragment else {},
                                 requests)
        after = cpu_seconds(watched)
        results[kind] = (timings, errors, [(b - a) * 1000 / requests
                                           for a, b in zip(before, after, strict=True)])
    for c in sessions:
        c.close()
    return results


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", help="HYDRASCOPE_HOME of a loaded and detected graph")
    parser.add_argument("--preset", default="small", help="generated set when no --home")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=200, help="per kind of request")
    parser.add_argument("--network", help="the network whose pages to time (default: largest)")
    parser.add_argument("--workers", type=int, default=1, help="app processes")
    parser.add_argument("--warmup", type=int, default=100,
                        help="unmeasured requests per kind first (plans, caches, JIT)")
    args = parser.parse_args()
    with bench_app(args.home, args.preset, args.workers) as (base, process, neo4j):
        with closing(signed_in(base)) as client:
            urls = targets(client, args.network)
        began = time.monotonic()
        results = measure(base, urls, args.clients, args.requests,
                          [process, *([neo4j] if neo4j else [])], warmup=max(1, args.warmup))
        wall = time.monotonic() - began
        rss = process.memory_info().rss / 2**20
    print(f"{args.clients} concurrent clients, {args.requests} requests per kind, "
          f"{args.workers} app process(es)")
    print(f"{'':55} {'CPU ms per request':>26}")
    print(f"{'kind':32} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6} "
          f"{'app':>6} {'neo4j':>6} {'client':>6}")
    total = 0
    for kind, (timings, errors, cpu) in results.items():
        total += len(timings)
        app_cpu, *rest = cpu
        neo4j_cpu = f"{rest[0]:6.1f}" if len(rest) == 2 else f"{'-':>6}"
        print(f"{kind:32} {len(timings):5d} {statistics.median(timings) * 1000:8.1f} "
              f"{percentile(timings, .95) * 1000:8.1f} {percentile(timings, .99) * 1000:8.1f} "
              f"{errors:6d} {app_cpu:6.1f} {neo4j_cpu} {rest[-1]:6.1f}")
    print(f"throughput {total / wall:.1f} requests/s over {wall:.1f} s; app RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
