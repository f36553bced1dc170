"""Managed Neo4j start-up: first start (jars fetched), warm start, server memory.

    .venv/bin/python bench/server.py            # first start reuses Maven's cache
    .venv/bin/python bench/server.py --cold     # first start downloads every jar

Prints seconds and MiB; fails only if the server cannot start.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import load_settings  # noqa: E402
from app.db.managed import ManagedNeo4j  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def timed_start(root: Path, port: int, cold: bool) -> tuple[float, ManagedNeo4j]:
    maven = f"-Dmaven.repo.local={root / 'm2'}" if cold else ""
    settings = load_settings(home=root / "home", neo4j_port=port, neo4j_uri=None,
                             neo4j_lib_dir=root / "lib", maven_args=maven)
    server = ManagedNeo4j(settings)
    began = time.monotonic()
    server.start()
    return time.monotonic() - began, server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cold", action="store_true",
                        help="fetch the jars into an empty Maven repository (full download)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hydrascope-bench-") as tmp:
        root = Path(tmp)
        port = free_port()
        first, server = timed_start(root, port, args.cold)
        lib_mib = sum(f.stat().st_size for f in server.lib.iterdir()) / 2**20
        rss_first = (server.memory_rss() or 0) / 2**20
        began = time.monotonic()
        server.stop()
        stop = time.monotonic() - began
        warm, server = timed_start(root, port, args.cold)
        time.sleep(5)
        rss = (server.memory_rss() or 0) / 2**20
        heap, pagecache = server.memory()
        server.stop()
    print(f"first start ({'download' if args.cold else 'Maven cache'} + assemble + start): "
          f"{first:6.1f} s  (jars: {lib_mib:.0f} MiB)")
    print(f"warm start:                                   {warm:6.1f} s")
    print(f"clean stop:                                   {stop:6.1f} s")
    print(f"server RSS after start: {rss_first:.0f} MiB first, {rss:.0f} MiB warm "
          f"(heap {heap}, page cache {pagecache})")
    subprocess.run(["free", "-m"], check=False)


if __name__ == "__main__":
    main()
