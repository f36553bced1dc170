"""The test session's real Neo4j, and fixtures around it.

Without NEO4J_URI the session starts its own managed server in a throw-away
home on a free port (reusing the jars of the usual home, so they are fetched
once per machine). With NEO4J_URI it uses that server, and empties it between
tests: never point it at a graph you care about.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from app import explore
from app.config import Settings, load_settings
from app.db.graph import Graph, create_driver
from app.db.managed import ManagedNeo4j
from app.db.migrations import apply_migrations, clear_graph
from app.detect.run import run_detection
from app.ingest import load_directory
from app.synth.generator import generate

ROOT = Path(__file__).resolve().parent.parent
ENTRY_POINT = Path(sys.executable).parent / "hydrascope"
INTEGRATION_FIXTURES = {"neo4j_settings", "graph", "driver_graph", "server_env"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def detected_world(graph: Graph, out: Path) -> Graph:
    """The graph emptied, then a generated data set (800 accounts, seed 5, in
    out/data) loaded and detected: the world most web and case tests look at."""
    generate(out / "data", accounts=800, seed=5)
    clear_graph(graph)
    load_directory(graph, out / "data", out / "rejects.csv", progress=False)
    run_detection(graph)
    return graph


def largest_networks(graph: Graph, n: int = 1) -> list[dict[str, object]]:
    """The `n` largest suspected networks of the latest run."""
    run = explore.latest_run(graph)
    assert run, "no detection run"
    return list(explore.list_networks(graph, run["run_id"], suspected_only=True, min_score=0,
                                      min_size=1, sort="size", descending=True, page=1,
                                      per_page=n).rows)


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """The app served over HTTP by uvicorn in a thread, on a free port; its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the app did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Anything that touches the graph is an integration test."""
    for item in items:
        if INTEGRATION_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


def managed_test_settings(home: Path, port: int, **extra: object) -> Settings:
    """Settings of a small managed server in its own home, sharing the usual jars."""
    shared_lib = load_settings().neo4j_lib
    return load_settings(home=home, neo4j_port=port, neo4j_lib_dir=shared_lib,
                         neo4j_heap="1g", neo4j_pagecache="512m", neo4j_uri=None,
                         neo4j_user=None, neo4j_password=None, **extra)


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a child process use these settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NEO4J_", "HYDRASCOPE_"))}
    env.update({
        "HYDRASCOPE_HOME": str(settings.home),
        "HYDRASCOPE_NEO4J_PORT": str(settings.neo4j_port),
        "NEO4J_DATABASE": settings.neo4j_database,
    })
    if settings.neo4j_lib_dir:
        env["HYDRASCOPE_NEO4J_LIB"] = str(settings.neo4j_lib_dir)
    if settings.neo4j_heap:
        env["HYDRASCOPE_NEO4J_HEAP"] = settings.neo4j_heap
    if settings.neo4j_pagecache:
        env["HYDRASCOPE_NEO4J_PAGECACHE"] = settings.neo4j_pagecache
    if settings.neo4j_uri:
        env["NEO4J_URI"] = settings.neo4j_uri
        env["NEO4J_USER"] = settings.neo4j_user or "neo4j"
        env["NEO4J_PASSWORD"] = settings.neo4j_password or ""
    return env


def run_cli(*args: str, env: dict[str, str], input: str | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the installed `hydrascope` entry point."""
    return subprocess.run([str(ENTRY_POINT), *args], env=env, input=input, text=True,
                          capture_output=True, timeout=timeout, check=False)


@pytest.fixture(scope="session")
def neo4j_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings of the session's real Neo4j (started here unless NEO4J_URI is set)."""
    if os.environ.get("NEO4J_URI"):
        settings = load_settings(home=tmp_path_factory.mktemp("home"))
        yield settings
        return
    settings = managed_test_settings(tmp_path_factory.mktemp("neo4j-home"), free_port())
    server = ManagedNeo4j(settings)
    server.start(say=lambda m: print(m, file=sys.stderr))
    try:
        yield settings
    finally:
        server.stop()


@pytest.fixture(scope="session")
def driver_graph(neo4j_settings: Settings) -> Iterator[Graph]:
    """One driver for the session, schema applied."""
    driver = create_driver(neo4j_settings)
    graph = Graph(driver, neo4j_settings)
    apply_migrations(graph)
    try:
        yield graph
    finally:
        driver.close()


@pytest.fixture
def graph(driver_graph: Graph) -> Graph:
    """The session's graph, emptied of data before the test."""
    clear_graph(driver_graph)
    return driver_graph


@pytest.fixture(scope="session")
def server_env(neo4j_settings: Settings) -> dict[str, str]:
    """Environment for CLI subprocesses that talk to the session's server."""
    return settings_env(neo4j_settings)
