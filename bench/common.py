"""What the benchmarks share: a throw-away managed Neo4j and a CLI runner."""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Settings, load_settings  # noqa: E402
from app.db.managed import ManagedNeo4j  # noqa: E402

ENTRY_POINT = Path(sys.executable).parent / "hydrascope"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def bench_server(root: Path) -> Iterator[tuple[Settings, dict[str, str]]]:
    """A managed server of its own (or the one NEO4J_URI names) and the env to reach it."""
    env = dict(os.environ)
    if os.environ.get("NEO4J_URI"):
        yield load_settings(), env
        return
    settings = load_settings(home=root / "home", neo4j_port=free_port(), neo4j_uri=None,
                             neo4j_lib_dir=load_settings().neo4j_lib)
    server = ManagedNeo4j(settings)
    server.start()
    env.update(HYDRASCOPE_HOME=str(settings.home), HYDRASCOPE_NEO4J_PORT=str(settings.neo4j_port),
               HYDRASCOPE_NEO4J_LIB=str(settings.neo4j_lib))
    try:
        yield settings, env
    finally:
        server.stop()


def run_measured(args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str],
                                                                  float, float]:
    """Run `hydrascope ARGS` in a child; the result, seconds and the child's peak RSS (MiB).

    Peak RSS comes from getrusage of children, which keeps the largest child's
    maximum, so run one measured child at a time.
    """
    began = time.monotonic()
    result = subprocess.run([str(ENTRY_POINT), *args], env=env, text=True, capture_output=True,
                            check=False)
    seconds = time.monotonic() - began
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if result.returncode != 0:
        raise SystemExit(f"hydrascope {' '.join(args)} failed: {result.stderr.strip()}")
    return result, seconds, peak_mib


def run_sampled(args: list[str], env: dict[str, str], every: float = 0.1
                ) -> tuple[subprocess.CompletedProcess[str], float, float, float]:
    """Run `hydrascope ARGS` in a child; the result, seconds, the child's own peak
    RSS and the peak RSS of the child with its children (MiB), sampled every
    `every` seconds (the bulk loader starts neo4j-admin, a JVM of its own)."""
    began = time.monotonic()
    child = subprocess.Popen([str(ENTRY_POINT), *args], env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peaks = [0, 0]
    done = threading.Event()

    def sample() -> None:
        process = psutil.Process(child.pid)
        while not done.is_set():
            try:
                own = process.memory_info().rss
                tree = own
                for kid in process.children(recursive=True):
                    with suppress(psutil.NoSuchProcess):
                        tree += kid.memory_info().rss
            except psutil.NoSuchProcess:
                return
            peaks[0], peaks[1] = max(peaks[0], own), max(peaks[1], tree)
            done.wait(every)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = child.communicate()
    done.set()
    sampler.join()
    seconds = time.monotonic() - began
    if child.returncode != 0:
        raise SystemExit(f"hydrascope {' '.join(args)} failed: {stderr.strip()}")
    result = subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)
    return result, seconds, peaks[0] / 2**20, peaks[1] / 2**20


def store_size_mib(settings: Settings) -> float | None:
    """Size of the managed server's database files."""
    data = settings.neo4j_home / "data"
    if not data.exists():
        return None
    total = sum(f.stat().st_size for f in data.rglob("*") if f.is_file())
    return total / 2**20
