"""Faults of the database, against a managed server of the test's own that the
test stops and starts: pages say the graph is unavailable and recover without
a restart of the app; an interrupted load completes on rerun with nothing lost
or doubled; an interrupted detection run leaves the previous run in place."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.auth.users import create_user
from app.config import Settings
from app.db.graph import Graph, create_driver
from app.db.managed import ManagedNeo4j
from app.db.migrations import apply_migrations
from app.synth.generator import generate
from app.web.app import create_app
from tests.conftest import ENTRY_POINT, free_port, managed_test_settings, run_cli, settings_env
from tests.test_web import PASSWORD, sign_in

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")),
                                 reason="stops and starts its own managed server")]


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagedNeo4j]:
    settings = managed_test_settings(tmp_path_factory.mktemp("faults-home"), free_port())
    server = ManagedNeo4j(settings)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def own_graph(own_server: ManagedNeo4j) -> Iterator[Graph]:
    driver = create_driver(own_server.settings)
    graph = Graph(driver, own_server.settings)
    apply_migrations(graph)
    try:
        yield graph
    finally:
        driver.close()


def counts(graph: Graph) -> dict[str, int]:
    rows = graph.run_text(
        "RETURN COUNT { (:Session) } AS sessions, COUNT { (:Account) } AS accounts, "
        "COLLECT { MATCH (:Account)-[u:USED_IP]->(:IP) RETURN sum(u.sessions) }[0] "
        "AS rolled_up")
    return {k: int(v or 0) for k, v in rows[0].items()}


def wait_until(check: object, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail("waited too long")
        time.sleep(0.2)


def test_pages_say_unavailable_then_recover(own_server: ManagedNeo4j,
                                            own_graph: Graph) -> None:
    settings: Settings = own_server.settings
    create_user(own_graph, "vera", PASSWORD, "viewer")
    with TestClient(create_app(settings)) as client:
        sign_in(client)
        assert client.get("/").status_code == 200
        own_server.stop()
        try:
            page = client.get("/")
            assert page.status_code == 503 and "Graph unavailable" in page.text
            assert "Traceback" not in page.text
            assert client.get("/healthz").status_code == 503
            api = client.get("/api/networks")
            assert api.status_code == 503 and "does not answer" in api.json()["detail"]
        finally:
            own_server.start()
        # Same app, same driver, same session cookie.
        wait_until(lambda: client.get("/healthz").status_code == 200, timeout=60)
        assert client.get("/").status_code == 200


def test_interrupted_load_completes_on_rerun(own_server: ManagedNeo4j, own_graph: Graph,
                                             tmp_path: Path) -> None:
    data = tmp_path / "data"
    written = generate(data, accounts=3000, seed=13)
    env = settings_env(own_server.settings)
    loader = subprocess.Popen([str(ENTRY_POINT), "load", str(data), "--json"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: counts(own_graph)["sessions"] > 0 or loader.poll() is not None)
        assert loader.poll() is None, "the load ended before it could be interrupted"
        own_server.stop()
        _out, err = loader.communicate(timeout=120)
    finally:
        if loader.poll() is None:
            loader.kill()
        own_server.start()
    assert loader.returncode != 0
    assert "Traceback" not in err and err.strip(), "a one-line reason for the failed load"
    partial = counts(own_graph)
    assert partial["sessions"] < written["sessions"]
    rerun = run_cli("load", str(data), "--json", env=env)
    assert rerun.returncode == 0, rerun.stderr
    after = counts(own_graph)
    assert after["accounts"] == written["accounts"]
    assert after["sessions"] == written["sessions"]
    # Roll-ups count each session exactly once, however the load was cut.
    assert after["rolled_up"] == after["sessions"]
    again = run_cli("load", str(data), "--json", env=env)
    assert again.returncode == 0 and counts(own_graph) == after


def test_interrupted_detection_keeps_the_previous_run(own_server: ManagedNeo4j,
                                                      own_graph: Graph) -> None:
    env = settings_env(own_server.settings)
    if counts(own_graph)["accounts"] == 0:
        pytest.fail("needs the data of the load test")
    first = run_cli("detect", "--json", env=env)
    assert first.returncode == 0, first.stderr
    before = own_graph.run_text(
        "MATCH (r:DetectionRun {status: 'complete'}) "
        "OPTIONAL MATCH (n:Network {run_id: r.run_id}) "
        "RETURN r.run_id AS run_id, count(n) AS networks")
    detector = subprocess.Popen([str(ENTRY_POINT), "detect"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    said = []
    try:
        # Held still once it has read the evidence (its progress is on stderr),
        # so the server is gone before it writes, however fast it computes.
        assert detector.stderr is not None
        for line in detector.stderr:
            said.append(line)
            if line.startswith("detect: read took"):
                break
        detector.send_signal(signal.SIGSTOP)
        own_server.stop()
        detector.send_signal(signal.SIGCONT)
        _out, rest = detector.communicate(timeout=120)
    finally:
        if detector.poll() is None:
            detector.kill()
        own_server.start()
    err = "".join(said) + rest
    assert any(line.startswith("detect: read took") for line in said), err
    assert detector.returncode != 0 and "Traceback" not in err
    after = own_graph.run_text(
        "MATCH (r:DetectionRun {status: 'complete'}) "
        "OPTIONAL MATCH (n:Network {run_id: r.run_id}) "
        "RETURN r.run_id AS run_id, count(n) AS networks")
    assert after == before, "the interrupted run is not shown as complete"
    with TestClient(create_app(own_server.settings)) as client:
        create_user(own_graph, "walt", PASSWORD, "viewer")
        sign_in(client, "walt")
        assert before[0]["run_id"] in client.get("/").text
