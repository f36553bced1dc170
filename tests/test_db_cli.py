"""`hydrascope db ...` through its entry point, against its own real server."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import GraphDatabase

from app.db.managed import ManagedNeo4j
from tests.conftest import free_port, managed_test_settings, run_cli, settings_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def parse_env(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        assert line.startswith("export ")
        key, _, value = line[len("export "):].partition("=")
        values[key] = value.strip("'")
    return values


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[tuple[ManagedNeo4j, dict[str, str]]]:
    settings = managed_test_settings(tmp_path / "home", free_port())
    server = ManagedNeo4j(settings)
    try:
        yield server, settings_env(settings)
    finally:
        server.stop()


def test_start_status_env_query_stop_restart(
    own_server: tuple[ManagedNeo4j, dict[str, str]],
) -> None:
    server, env = own_server
    status = run_cli("db", "status", env=env)
    assert status.returncode == 3 and "stopped" in status.stdout

    first = run_cli("db", "start", env=env)
    assert first.returncode == 0, first.stderr
    assert "Neo4j started" in first.stdout
    pid = server.pid()
    assert pid is not None

    again = run_cli("db", "start", env=env)
    assert again.returncode == 0, again.stderr
    assert "already running" in again.stdout
    assert server.pid() == pid

    status = run_cli("db", "status", env=env)
    assert status.returncode == 0 and f"pid {pid}" in status.stdout

    printed = run_cli("db", "env", env=env)
    assert printed.returncode == 0
    values = parse_env(printed.stdout)
    assert values["NEO4J_URI"] == server.uri
    assert oct(os.stat(server.password_file).st_mode & 0o777) == "0o600"
    auth = (values["NEO4J_USER"], values["NEO4J_PASSWORD"])
    with GraphDatabase.driver(values["NEO4J_URI"], auth=auth) as driver:
        driver.execute_query("CREATE (:Account {account_id: 'survivor'})",
                             database_=values["NEO4J_DATABASE"])
        # The schema was applied by `db start`.
        rows, _, _ = driver.execute_query("SHOW CONSTRAINTS YIELD name RETURN count(*) AS c")
        assert rows[0]["c"] >= 13

    stopped = run_cli("db", "stop", env=env)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert server.pid() is None
    assert run_cli("db", "status", env=env).returncode == 3
    assert "not running" in run_cli("db", "stop", env=env).stdout

    restarted = run_cli("db", "start", env=env)
    assert restarted.returncode == 0, restarted.stderr
    with GraphDatabase.driver(values["NEO4J_URI"], auth=auth) as driver:
        rows, _, _ = driver.execute_query(
            "MATCH (a:Account {account_id: 'survivor'}) RETURN count(a) AS c")
    assert rows[0]["c"] == 1, "data did not survive the restart"


def _one_line_error(result: object) -> str:
    stderr: str = getattr(result, "stderr", "")
    assert getattr(result, "returncode", 0) != 0
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("hydrascope: ")]
    assert len(errors) == 1, stderr
    return errors[0]


def test_no_java_is_a_clear_error(own_server: tuple[ManagedNeo4j, dict[str, str]]) -> None:
    _server, env = own_server
    env = {**env, "PATH": "/nonexistent"}
    env.pop("JAVA_HOME", None)
    line = _one_line_error(run_cli("db", "start", env=env))
    assert line.startswith("hydrascope: Java not found")


def test_maven_that_cannot_fetch_is_a_clear_error(
    own_server: tuple[ManagedNeo4j, dict[str, str]], tmp_path: Path,
) -> None:
    _server, env = own_server
    # A lib directory of its own and an empty, offline Maven repository.
    env = {**env, "HYDRASCOPE_NEO4J_LIB": str(tmp_path / "empty-lib"),
           "HYDRASCOPE_MAVEN_ARGS": f"-o -Dmaven.repo.local={tmp_path / 'm2'}"}
    line = _one_line_error(run_cli("db", "start", env=env))
    assert line.startswith("hydrascope: Maven could not fetch the Neo4j jars")
    assert not (tmp_path / "empty-lib").exists(), "a failed fetch left a lib directory"


def test_port_taken_is_a_clear_error(own_server: tuple[ManagedNeo4j, dict[str, str]]) -> None:
    server, env = own_server
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", server.port))
        sock.listen(1)
        line = _one_line_error(run_cli("db", "start", env=env))
    assert f"port {server.port} is taken" in line
    assert server.pid() is None


def test_server_dying_during_start_shows_its_log(
    own_server: tuple[ManagedNeo4j, dict[str, str]],
) -> None:
    server, env = own_server
    # Neo4j refuses a page cache larger than the machine's memory.
    env = {**env, "HYDRASCOPE_NEO4J_PAGECACHE": "4096g"}
    result = run_cli("db", "start", env=env)
    line = _one_line_error(result)
    assert "Neo4j exited during start" in line
    assert "exceeds physical memory" in result.stderr
    assert server.pid() is None


def test_the_address_db_env_prints_still_counts_as_the_managed_server(
    own_server: tuple[ManagedNeo4j, dict[str, str]], tmp_path: Path,
) -> None:
    server, env = own_server
    started = run_cli("db", "start", env=env)
    assert started.returncode == 0, started.stderr
    # What the README says to do: eval "$(hydrascope db env)".
    env = {**env, **parse_env(run_cli("db", "env", env=env).stdout)}
    assert env["NEO4J_URI"] == server.uri
    status = run_cli("db", "status", env=env)
    assert status.returncode == 0 and f"pid {server.pid()}" in status.stdout, status.stderr
    assert parse_env(run_cli("db", "env", env=env).stdout)["NEO4J_URI"] == server.uri
    # A bulk load stops and restarts that very server around the importer.
    data = tmp_path / "data"
    generated = run_cli("generate", str(data), "--accounts", "300", "--seed", "3", env=env)
    assert generated.returncode == 0, generated.stderr
    loaded = run_cli("load", str(data), "--bulk", "--json", env=env)
    assert loaded.returncode == 0, loaded.stderr
    auth = (env["NEO4J_USER"], env["NEO4J_PASSWORD"])
    with GraphDatabase.driver(env["NEO4J_URI"], auth=auth) as driver:
        rows, _, _ = driver.execute_query("MATCH (a:Account) RETURN count(a) AS c")
    assert rows[0]["c"] == 300
    stopped = run_cli("db", "stop", env=env)
    assert stopped.returncode == 0 and server.pid() is None, stopped.stderr
    assert run_cli("db", "status", env=env).returncode == 3
    assert run_cli("db", "start", env=env).returncode == 0
    # Another port on the same machine is another server.
    other = {**env, "NEO4J_URI": f"bolt://localhost:{free_port()}"}
    assert "NEO4J_URI is set" in _one_line_error(run_cli("db", "status", env=other))


def test_managed_server_is_not_used_with_neo4j_uri(
    own_server: tuple[ManagedNeo4j, dict[str, str]],
) -> None:
    server, env = own_server
    env = {**env, "NEO4J_URI": f"bolt://127.0.0.1:{free_port()}", "NEO4J_PASSWORD": "x"}
    for command in ("status", "stop", "env"):
        line = _one_line_error(run_cli("db", command, env=env))
        assert "NEO4J_URI is set" in line
    start = run_cli("db", "start", env=env)
    assert "does not answer" in _one_line_error(start)
    assert server.pid() is None
    assert not server.home.exists()
