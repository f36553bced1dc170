"""The managed local Neo4j: assembled from Maven Central jars, run as one JVM.

See ../shared/design/NEO4J_RUNTIME.md for what this is built on. The layout
under ``<HYDRASCOPE_HOME>/neo4j``::

    lib/        the jars (or HYDRASCOPE_NEO4J_LIB), with a .complete marker
    conf/       neo4j.conf, rewritten on every start
    data/ logs/ plugins/ run/
    password    the generated password of user neo4j (mode 0600)
    run/hydrascope-neo4j.pid, logs/console.log
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import psutil

from app.config import Settings
from app.errors import HydrascopeError

NEO4J_VERSION = "5.26.24"
USER = "neo4j"
JVM_OPTIONS = [
    # Without these Neo4j dies with a LinkageError on java.nio under Java 17.
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+DisableExplicitGC",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Dfile.encoding=UTF-8",
]
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"
START_MARKER = "--- hydrascope start"


class ManagedServerError(HydrascopeError):
    """The managed server cannot be assembled, started or stopped."""


@dataclass(frozen=True)
class ServerStatus:
    """What `db status` reports."""

    running: bool
    pid: int | None
    uri: str
    home: Path

    def describe(self) -> str:
        if self.running:
            return f"running (pid {self.pid}) at {self.uri}, home {self.home}"
        return f"stopped (home {self.home})"


def pom_text() -> str:
    """The Maven pom that lists the runtime's jars (kept in the repository)."""
    return resources.files("app.db.runtime").joinpath("pom.xml").read_text(encoding="utf-8")


def _size_mb(text: str) -> int:
    units = {"k": 1 / 1024, "m": 1, "g": 1024, "t": 1024 * 1024}
    text = text.strip().lower()
    if text[-1:] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(int(text) / (1024 * 1024))


def default_memory(total_bytes: int) -> tuple[str, str]:
    """Heap and page cache for a machine with this much memory.

    A laptop-sized box gets heap 1-4 GiB and page cache 0.5-2 GiB, about an
    eighth of memory each, so the server never asks for more than a quarter.
    """
    eighth_mb = total_bytes // (8 * 1024 * 1024)
    heap = max(1024, min(4096, eighth_mb))
    pagecache = max(512, min(2048, eighth_mb))
    return f"{heap}m", f"{pagecache}m"


class ManagedNeo4j:
    """One managed server, defined by its settings (home, port, memory)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.home = settings.neo4j_home
        self.lib = settings.neo4j_lib
        self.conf_dir = self.home / "conf"
        self.data_dir = self.home / "data"
        self.logs_dir = self.home / "logs"
        self.plugins_dir = self.home / "plugins"
        self.run_dir = self.home / "run"
        self.pid_file = self.run_dir / "hydrascope-neo4j.pid"
        self.console_log = self.logs_dir / "console.log"
        self.password_file = self.home / "password"
        self.port = settings.neo4j_port
        self.uri = f"bolt://127.0.0.1:{self.port}"

    # -- facts -------------------------------------------------------------

    def password(self) -> str:
        """The generated password; an error if the server was never set up."""
        try:
            return self.password_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise ManagedServerError(
                f"the managed Neo4j in {self.home} has no password yet: run 'hydrascope db start'"
            ) from None

    def pid(self) -> int | None:
        """The pid of our running server, or None (a stale pid file is removed)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            proc = psutil.Process(pid)
            cmdline = proc.cmdline()
            alive = proc.status() != psutil.STATUS_ZOMBIE
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            alive, cmdline = False, []
        if alive and ENTRY_POINT in cmdline and f"--home-dir={self.home}" in cmdline:
            return pid
        self.pid_file.unlink(missing_ok=True)
        return None

    def status(self) -> ServerStatus:
        pid = self.pid()
        return ServerStatus(running=pid is not None, pid=pid, uri=self.uri, home=self.home)

    def env_lines(self) -> list[str]:
        """Shell lines that point other tools at this server."""
        return [
            f"export NEO4J_URI={shlex.quote(self.uri)}",
            f"export NEO4J_USER={USER}",
            f"export NEO4J_PASSWORD={shlex.quote(self.password())}",
            f"export NEO4J_DATABASE={shlex.quote(self.settings.neo4j_database)}",
        ]

    # -- assembling --------------------------------------------------------

    def java(self) -> str:
        """The java executable: JAVA_HOME's, else the one on PATH."""
        java_home = os.environ.get("JAVA_HOME")
        if java_home and (Path(java_home) / "bin" / "java").is_file():
            return str(Path(java_home) / "bin" / "java")
        found = shutil.which("java")
        if not found:
            raise ManagedServerError(
                "Java not found: the managed Neo4j needs a JDK 17 "
                "(install openjdk-17-jre-headless or set JAVA_HOME), or set NEO4J_URI"
            )
        return found

    def _marker(self) -> Path:
        return self.lib / ".complete"

    def _pom_digest(self) -> str:
        return hashlib.sha256(pom_text().encode()).hexdigest()

    def assembled(self) -> bool:
        marker = self._marker()
        return marker.is_file() and marker.read_text().strip() == self._pom_digest()

    def assemble(self, say: Callable[[str], None] = lambda _m: None) -> None:
        """Fetch the server's jars from Maven Central into lib/ (once)."""
        if self.assembled():
            return
        mvn = shutil.which("mvn")
        if not mvn:
            raise ManagedServerError(
                "Maven (mvn) not found: it fetches the Neo4j jars on first start "
                "(install maven), or set NEO4J_URI"
            )
        say(f"assembling Neo4j {NEO4J_VERSION} from Maven Central into {self.lib} (once)")
        build = self.home / "runtime"
        build.mkdir(parents=True, exist_ok=True)
        (build / "pom.xml").write_text(pom_text(), encoding="utf-8")
        staging = self.lib.with_name(self.lib.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        cmd = [mvn, "-B", "-q", "-f", str(build / "pom.xml"),
               *shlex.split(self.settings.maven_args),
               "dependency:copy-dependencies", "-DincludeScope=runtime",
               f"-DoutputDirectory={staging}"]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            reason = _maven_reason(result.stdout + result.stderr)
            raise ManagedServerError(f"Maven could not fetch the Neo4j jars: {reason}")
        # Swap the finished directory in whole, so a failed fetch never leaves
        # a half-filled lib/ that looks usable.
        if self.lib.exists():
            shutil.rmtree(self.lib)
        self.lib.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(self.lib)
        self._marker().write_text(self._pom_digest())

    # -- configuring -------------------------------------------------------

    def memory(self) -> tuple[str, str]:
        heap, pagecache = default_memory(psutil.virtual_memory().total)
        return self.settings.neo4j_heap or heap, self.settings.neo4j_pagecache or pagecache

    def write_config(self) -> None:
        """neo4j.conf for this port and machine; rewritten on every start."""
        for d in (self.conf_dir, self.data_dir, self.logs_dir, self.plugins_dir, self.run_dir):
            d.mkdir(parents=True, exist_ok=True)
        heap, pagecache = self.memory()
        lines = [
            "# Written by hydrascope on every start; edit HYDRASCOPE_* settings instead.",
            "server.default_listen_address=127.0.0.1",
            "server.default_advertised_address=127.0.0.1",
            f"server.bolt.listen_address=127.0.0.1:{self.port}",
            f"server.bolt.advertised_address=127.0.0.1:{self.port}",
            "server.http.enabled=false",
            "server.https.enabled=false",
            f"server.memory.pagecache.size={pagecache}",
            # Read by Neo4j's own launcher only; kept here for the record. The
            # JVM gets -Xms/-Xmx from us.
            f"server.memory.heap.initial_size={heap}",
            f"server.memory.heap.max_size={heap}",
            "dbms.usage_report.enabled=false",
            "dbms.security.auth_enabled=true",
            "db.transaction.timeout=0s",
            f"server.directories.data={self.data_dir}",
            f"server.directories.logs={self.logs_dir}",
            f"server.directories.plugins={self.plugins_dir}",
            f"server.directories.run={self.run_dir}",
            f"server.directories.lib={self.lib}",
        ]
        (self.conf_dir / "neo4j.conf").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def classpath(self) -> str:
        return f"{self.plugins_dir}/*:{self.conf_dir}/*:{self.lib}/*"

    def _tool_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["NEO4J_HOME"] = str(self.home)
        env["NEO4J_CONF"] = str(self.conf_dir)
        return env

    def admin(self, args: Sequence[str], java_options: Sequence[str] = ()
              ) -> subprocess.CompletedProcess[str]:
        """Run the admin tool (neo4j-admin) on this server's home and configuration."""
        return subprocess.run(
            [self.java(), *java_options, "-cp", self.classpath(), ADMIN_TOOL, *args],
            capture_output=True, text=True, env=self._tool_env(), check=False,
        )

    def ensure_password(self) -> None:
        """Generate and set the initial password before the very first start."""
        if self.password_file.exists():
            return
        # Hex: a password starting with "-" would be read as an option by the admin tool.
        password = secrets.token_hex(16)
        result = self.admin(["dbms", "set-initial-password", password])
        if result.returncode != 0:
            raise ManagedServerError(
                "could not set the initial Neo4j password: "
                + _last_line(result.stderr or result.stdout)
            )
        fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(password + "\n")
        os.chmod(self.password_file, 0o600)

    # -- running -----------------------------------------------------------

    def start(self, say: Callable[[str], None] = lambda _m: None) -> bool:
        """Start the server and wait for Bolt. False when it was already running."""
        if self.pid() is not None:
            return False
        java = self.java()
        if not port_is_free(self.port):
            raise ManagedServerError(
                f"port {self.port} is taken by another program: stop it or choose another "
                "port with HYDRASCOPE_NEO4J_PORT"
            )
        self.home.mkdir(parents=True, exist_ok=True)
        self.assemble(say)
        self.write_config()
        self.ensure_password()
        heap, _pagecache = self.memory()
        cmd = [java, f"-Xms{heap}", f"-Xmx{heap}", *JVM_OPTIONS, "-cp", self.classpath(),
               ENTRY_POINT, f"--home-dir={self.home}", f"--config-dir={self.conf_dir}",
               "--console-mode"]
        say(f"starting Neo4j on {self.uri}")
        with open(self.console_log, "ab") as log:
            log.write(f"\n{START_MARKER} {time.strftime('%Y-%m-%dT%H:%M:%S')} ---\n".encode())
            log.flush()
            proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=self._tool_env(), cwd=self.home, start_new_session=True,
            )
        self.pid_file.write_text(f"{proc.pid}\n")
        self._wait_for_bolt(proc)
        return True

    def _wait_for_bolt(self, proc: subprocess.Popen[bytes]) -> None:
        from neo4j import GraphDatabase
        from neo4j.exceptions import AuthError, DriverError, Neo4jError

        deadline = time.monotonic() + self.settings.neo4j_start_timeout
        password = self.password()
        while True:
            code = proc.poll()
            if code is not None:
                self.pid_file.unlink(missing_ok=True)
                raise ManagedServerError(
                    f"Neo4j exited during start (exit code {code}); last lines of "
                    f"{self.console_log}:\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise ManagedServerError(
                    f"Neo4j did not answer on {self.uri} within "
                    f"{self.settings.neo4j_start_timeout:.0f}s; last lines of "
                    f"{self.console_log}:\n{self.log_tail()}"
                )
            if not port_is_free(self.port):
                try:
                    with GraphDatabase.driver(
                        self.uri, auth=(USER, password), notifications_min_severity="OFF"
                    ) as driver:
                        driver.verify_connectivity()
                        driver.execute_query("RETURN 1", database_=self.settings.neo4j_database)
                    return
                except AuthError as exc:
                    self.stop()
                    raise ManagedServerError(
                        f"Neo4j refused the stored password in {self.password_file}: {exc.message}"
                    ) from None
                except (DriverError, Neo4jError, OSError):
                    pass  # Bolt is up but the database is still starting
            time.sleep(0.5)

    def stop(self, timeout: float = 90.0) -> bool:
        """Shut the server down cleanly. False when it was not running."""
        pid = self.pid()
        if pid is None:
            return False
        try:
            proc = psutil.Process(pid)
            proc.send_signal(signal.SIGTERM)
            if not _wait_gone(proc, timeout):
                proc.kill()
                _wait_gone(proc, 30)
        except psutil.NoSuchProcess:
            pass
        self.pid_file.unlink(missing_ok=True)
        return True

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.console_log.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return "(no log)"
        # Only what this start wrote: earlier runs' lines would mislead.
        text = text.rsplit(START_MARKER, 1)[-1]
        return "\n".join(text.strip().splitlines()[-lines:])

    def memory_rss(self) -> int | None:
        """Resident memory of the running server in bytes."""
        pid = self.pid()
        if pid is None:
            return None
        return int(psutil.Process(pid).memory_info().rss)


def _wait_gone(proc: psutil.Process, timeout: float) -> bool:
    """Wait until the process has exited; True when it did in time.

    A server started by another process of ours (the test session, say) stays
    a zombie until that parent reaps it, so a zombie counts as gone.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                return True
            proc.wait(timeout=0.2)
            return True
        except psutil.TimeoutExpired:
            continue
        except psutil.NoSuchProcess:
            return True
    return False


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) != 0


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "(no output)"


def _maven_reason(output: str) -> str:
    """The first [ERROR] line of Maven's output, without its decorations."""
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("[ERROR]") and len(line) > len("[ERROR] "):
            return line[len("[ERROR] "):].strip()
    return _last_line(output)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def throwaway_server(root: Path, base: Settings,
                     say: Callable[[str], None] = lambda _m: None) -> Iterator[Settings]:
    """A managed Neo4j of its own in a new home under `root`, on a free port, sharing
    the jars of `base` (fetched once per machine); stopped and its home removed on exit.

    For evaluation sweeps and benchmarks: the yielded settings reach only that server.
    """
    if not base.managed:
        raise ManagedServerError(
            f"NEO4J_URI is set ({base.neo4j_uri}): a throw-away managed server needs the "
            "managed Neo4j; unset NEO4J_URI")
    home = Path(tempfile.mkdtemp(prefix="hydrascope-home-", dir=root))
    settings = base.model_copy(update={
        "home": home, "neo4j_port": free_port(), "neo4j_lib_dir": base.neo4j_lib,
        "neo4j_uri": None, "neo4j_user": None, "neo4j_password": None})
    server = ManagedNeo4j(settings)
    try:
        server.start(say=say)
        yield settings
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(home, ignore_errors=True)
