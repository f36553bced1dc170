"""The import-file writer: the same clean batches, written through `neo4j-admin database import`.

Transactional writes cost the server most of its time on a first load of a
long history. When the managed server's graph is empty, a load can
instead stream the validated rows into import CSVs (nodes and relationships
of the same evidence graph), stop the server, run Neo4j's offline importer,
start the server again and re-apply the schema. Validation, rejects and the
report are those of the transactional writer: only the writing differs, and
the graph it builds is the same (a test compares them). Labels, key
properties and relationship types come from `cypher/ingest/graph.toml`,
which the transactional statements follow too.

What needs the whole load (account totals, the account roll-ups, the set of
addresses and entities) is not kept in memory: each session's facts go to a
spool (an SQLite file next to the import files) and SQLite aggregates them
at the end, sorting on disk. The loader's memory so stays flat whatever the
size of the session file; only the set of account ids grows, with the
accounts file, as on the transactional path.

The import replaces the `neo4j` database, so it runs only on a graph that
holds nothing but schema records; an interrupted import leaves an empty (or
unusable) database that the next load simply replaces again. Nothing that
was there can be lost.
"""

from __future__ import annotations

import csv
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from app.addresses import address_facts
from app.db.graph import Graph
from app.db.managed import ManagedNeo4j
from app.db.migrations import apply_migrations
from app.ingest.contract import ACCOUNTS, IP_INTEL, SESSIONS
from app.ingest.report import LoadError, LoadReport
from app.ingest.shape import graph_shape, user_agent_key
from app.ingest.validate import Batch
from app.progress import Progress

# An account's totals over its sessions: (property, SQL aggregate over the spool).
ACCOUNT_TOTALS = (
    ("sessions", "count(*)"), ("requests", "sum(requests)"),
    ("input_tokens", "sum(input_tokens)"), ("output_tokens", "sum(output_tokens)"),
    ("reasoning_sessions", "sum(reasoning)"), ("rewrite_sessions", "sum(rewrite)"),
    ("refusals", "sum(refusals)"),
)
SHAPE = graph_shape()


def id_header(label: str, id_type: str = "") -> str:
    """The import header of a label's key column (`key:ID(Label)`)."""
    return f"{SHAPE.key(label)}:ID({label}){id_type}"


SESSION_COLUMNS = [
    (SHAPE.key("Session"), id_header("Session")), ("account_id", "account_id"),
    ("started_at", "started_at:datetime"), ("ended_at", "ended_at:datetime"), ("ip", "ip"),
    ("user_agent", "user_agent"), ("api_key_id", "api_key_id"), ("model", "model"),
    ("requests", "requests:long"), ("input_tokens", "input_tokens:long"),
    ("output_tokens", "output_tokens:long"), ("prompt_fingerprint", "prompt_fingerprint"),
    ("prompt_category", "prompt_category"), ("reasoning_request", "reasoning_request:boolean"),
    ("sensitive_rewrite", "sensitive_rewrite:boolean"), ("refusals", "refusals:long"),
]
ACCOUNT_COLUMNS = [
    (SHAPE.key("Account"), id_header("Account")), ("created_at", "created_at:datetime"),
    ("email_domain", "email_domain"), ("signup_ip", "signup_ip"), ("country", "country"),
    ("payment_fingerprint", "payment_fingerprint"), ("org_id", "org_id"), ("plan", "plan"),
    ("status", "status"), ("status_changed_at", "status_changed_at:datetime"),
]
ACCOUNT_STATUS = [c for c, _h in ACCOUNT_COLUMNS].index("status")
STARTED = [c for c, _h in SESSION_COLUMNS].index("started_at")
# What an account links to: (account column, relationship type).
ACCOUNT_LINKS = (("email_domain", "EMAIL_AT"), ("payment_fingerprint", "PAID_WITH"),
                 ("org_id", "IN_ORG"))
# Roll-up relationship per entity kind: (spool column, type).
ROLLUPS = (("ip", "USED_IP"), ("device", "USED_DEVICE"), ("api_key", "USED_KEY"),
           ("agent", "USED_AGENT"))
# Entities a session names, whose nodes are their distinct keys: (spool column, label).
SESSION_NODES = (("device", "Device"), ("api_key", "ApiKey"), ("agent", "UserAgent"),
                 ("template", "PromptTemplate"))
SPOOL_SCHEMA = (
    f"CREATE TABLE accounts ({', '.join(c for c, _h in ACCOUNT_COLUMNS)})",
    "CREATE TABLE intel (ip TEXT PRIMARY KEY, network_type TEXT, country TEXT, asn INTEGER,"
    " as_org TEXT, proxy_provider TEXT)",
    "CREATE TABLE sessions (account_id TEXT, started TEXT, requests INTEGER,"
    " input_tokens INTEGER, output_tokens INTEGER, reasoning INTEGER, rewrite INTEGER,"
    " refusals INTEGER, ip TEXT, device TEXT, api_key TEXT, agent TEXT, template TEXT)",
)
SPOOL_CACHE_KIB = 65_536  # per SQLite connection; sorts beyond it spill to disk
_BOOLEAN = {True: "true", False: "false", None: None}


def graph_is_empty(graph: Graph) -> bool:
    return not graph.read("ingest/any_data")


def _row_maker(columns: list[tuple[str, str]]) -> Callable[[dict[str, Any]], list[Any]]:
    """A function from a clean row to its import CSV cells, typed by the header."""
    get = itemgetter(*(column for column, _h in columns))
    times = [i for i, (_c, h) in enumerate(columns) if h.endswith(":datetime")]
    flags = [i for i, (_c, h) in enumerate(columns) if h.endswith(":boolean")]

    def cells(row: dict[str, Any]) -> list[Any]:
        values = list(get(row))
        for i in times:
            if values[i] is not None:
                values[i] = import_time(values[i])
        for i in flags:
            values[i] = _BOOLEAN[values[i]]
        return values

    return cells


_session_cells = _row_maker(SESSION_COLUMNS)
_account_cells = _row_maker(ACCOUNT_COLUMNS)


def import_time(value: datetime) -> str:
    """A UTC time as the importer reads it, fixed width (microseconds always written),
    so that the spool's text order is time order and min/max need no parsing."""
    return value.isoformat(timespec="microseconds")


class _Files:
    """The import CSVs, one per node label or relationship type, opened on first use.

    Opening is locked: the final tasks run on several threads, each writing
    files of its own. csv.writer writes None as an empty cell."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.nodes: dict[str, list[Path]] = {}
        self.relationships: dict[str, list[Path]] = {}
        self._open: dict[str, tuple[IO[str], Any]] = {}
        self._lock = threading.Lock()

    def writer(self, kind: str, name: str, header: list[str]) -> Any:
        key = f"{kind}:{name}"
        with self._lock:
            if key not in self._open:
                path = self.directory / f"{kind}-{name}.csv"
                fh = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115
                writer = csv.writer(fh, lineterminator="\n")
                writer.writerow(header)
                self._open[key] = (fh, writer)
                (self.nodes if kind == "nodes" else self.relationships).setdefault(
                    name, []).append(path)
            return self._open[key][1]

    def nodes_of(self, label: str, header: list[str]) -> Any:
        """The node file of a label; `header` starts with its key column (`id_header`)."""
        if not header[0].startswith(id_header(label)):
            raise ValueError(f"the {label} file must start with {id_header(label)}")
        return self.writer("nodes", label, header)

    def rels_of(self, rel_type: str, props: tuple[str, ...] = ()) -> Any:
        """The relationship file of a type, between the labels the graph shape gives it."""
        start, end = SHAPE.ends(rel_type)
        return self.writer("relationships", rel_type,
                           [f":START_ID({start})", f":END_ID({end})", *props])

    def close(self) -> None:
        for fh, _writer in self._open.values():
            fh.close()


class _Spool:
    """The load's per-session facts on disk, aggregated by SQLite at the end."""

    def __init__(self, path: Path):
        self.path = path
        self.db = self.connect()
        for statement in SPOOL_SCHEMA:
            self.db.execute(statement)

    def connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "temp_store=FILE",
                       f"cache_size=-{SPOOL_CACHE_KIB}"):
            db.execute(f"PRAGMA {pragma}")
        return db

    def add(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        marks = ",".join("?" * len(rows[0]))
        self.db.execute("BEGIN")
        self.db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        self.db.execute("COMMIT")

    def rows(self, sql: str) -> Iterator[tuple[Any, ...]]:
        """A query's rows on a connection of its own (so tasks can run side by side)."""
        db = self.connect()
        try:
            yield from db.execute(sql)
        finally:
            db.close()

    def close(self) -> None:
        self.db.close()


class ImportFileWriter:
    """Writes batches to import files, then imports them (see the module docstring)."""

    def __init__(self, graph: Graph, server: ManagedNeo4j, progress: bool | None = None):
        self.graph = graph
        self.server = server
        self.progress = progress
        self.work_dir: Path | None = None
        self.files: _Files | None = None
        self.spool: _Spool | None = None
        self._report: LoadReport | None = None
        self._loaded_at = ""
        # One spool write in flight on its own thread (SQLite lets go of the GIL).
        self._spooler = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spool")
        self._spooling: Future[None] | None = None

    def begin(self, report: LoadReport) -> None:
        if not graph_is_empty(self.graph):
            raise LoadError("a bulk load needs an empty graph; this one holds data "
                            "(load without --bulk to add to it)")
        self._report = report
        # Every account is marked with this load, as the transactional writer does.
        self._loaded_at = import_time(datetime.now(UTC))
        self.work_dir = self.graph.settings.home / "import" / report.load_id
        shutil.rmtree(self.work_dir, ignore_errors=True)
        self.work_dir.mkdir(parents=True)
        self.files = _Files(self.work_dir)
        self.spool = _Spool(self.work_dir / "spool.sqlite")

    def known_accounts(self, ids: Collection[str]) -> set[str]:
        """None: the graph was empty when the load began."""
        return set()

    def finish(self, report: LoadReport) -> None:
        """Aggregate, stop the server, import, start it again, re-apply the schema."""
        assert self.files is not None
        # Two aggregation threads (SQLite sorts without the GIL; a third one only
        # adds memory) and, beside them, the server's stop: it is not needed again
        # until the import is done.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="stop") as stopper, \
                ThreadPoolExecutor(max_workers=2, thread_name_prefix="bulk") as pool:
            stopping = stopper.submit(self.server.stop)
            try:
                with self._step("roll-ups, import files, server stop"):
                    self.flush()
                    self._write_whole_load_files(pool)
                    self.files.close()
                    stopping.result()
                with self._step("neo4j-admin import"):
                    self._import()
            finally:
                stopping.exception()  # wait for it either way
                with self._step("server restart"):
                    self.server.start()
                    self.graph.driver.verify_connectivity()
        with self._step("schema"):
            apply_migrations(self.graph, workers=2)

    def close(self) -> None:
        self._spooler.shutdown(wait=True, cancel_futures=True)
        if self.files is not None:
            self.files.close()
        if self.spool is not None:
            self.spool.close()
        if self.work_dir is not None:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    @contextmanager
    def _step(self, name: str) -> Iterator[None]:
        """Time a step into the report, with a line on a terminal."""
        assert self._report is not None
        line = Progress(f"{'bulk':<8}", enabled=self.progress)
        line.say(f"{name}...")
        began = time.monotonic()
        try:
            yield
        except BaseException:
            line.say(f"{name} failed", final=True)
            raise
        self._report.steps[name] = seconds = time.monotonic() - began
        line.say(f"{name}, {seconds:.1f}s", final=True)

    # -- batches go to files ----------------------------------------------------

    def write(self, batch: Batch) -> None:
        table, rows = batch.table, batch.rows
        if table is SESSIONS:
            self._spool("sessions", self._sessions(rows))
        elif table is ACCOUNTS:
            self._spool("accounts", self._accounts(rows))
        elif table is IP_INTEL:
            self._spool("intel", [
                (r["ip"], r["network_type"], r["country"], r["asn"], r["as_org"],
                 r["proxy_provider"]) for r in rows])
        batch.report.new += len(rows)

    def _spool(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        assert self.spool is not None
        self.flush()
        self._spooling = self._spooler.submit(self.spool.add, table, rows)

    def flush(self) -> None:
        """Wait for the spool write in flight (and raise its error)."""
        if self._spooling is not None:
            spooling, self._spooling = self._spooling, None
            spooling.result()

    def _accounts(self, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """Write what an account row alone decides; its spool rows."""
        assert self.files is not None
        signed_up = self.files.rels_of("SIGNED_UP_FROM")
        links = [(column, self.files.rels_of(rel_type)) for column, rel_type in ACCOUNT_LINKS]
        spooled = []
        for row in rows:
            account_id = row["account_id"]
            for column, writer in links:
                if row[column] is not None:
                    writer.writerow((account_id, row[column]))
            if row["signup_ip"] is not None:
                signed_up.writerow((account_id, row["signup_ip"]))
            cells = _account_cells(row)
            cells[ACCOUNT_STATUS] = cells[ACCOUNT_STATUS] or "active"
            spooled.append(tuple(cells))
        return spooled

    def _sessions(self, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """Write the sessions' nodes and links; their spool rows (facts for the roll-ups)."""
        assert self.files is not None
        files = self.files
        nodes = files.nodes_of("Session", [h for _c, h in SESSION_COLUMNS])
        owned = files.rels_of("HAS_SESSION")
        from_ip = files.rels_of("FROM_IP")
        on_device = files.rels_of("ON_DEVICE")
        used_template = files.rels_of("USED_TEMPLATE")
        spooled = []
        for row in rows:
            session_id, account_id = row["session_id"], row["account_id"]
            cells = _session_cells(row)
            nodes.writerow(cells)
            owned.writerow((account_id, session_id))
            from_ip.writerow((session_id, row["ip"]))
            device, template, agent = (row["device_fingerprint"], row["prompt_fingerprint"],
                                       row["user_agent"])
            if device is not None:
                on_device.writerow((session_id, device))
            if template is not None:
                used_template.writerow((session_id, template))
            spooled.append((
                account_id, cells[STARTED], row["requests"],
                row["input_tokens"] or 0, row["output_tokens"] or 0,
                1 if row["reasoning_request"] else 0, 1 if row["sensitive_rewrite"] else 0,
                row["refusals"] or 0, row["ip"], device, row["api_key_id"],
                None if agent is None else user_agent_key(agent), template))
        return spooled

    # -- everything that needs the whole load ---------------------------------------

    def _write_whole_load_files(self, pool: ThreadPoolExecutor) -> None:
        """Aggregate the spool into the remaining files, one task per file on the pool."""
        tasks: list[Callable[[], None]] = [self._account_nodes, self._addresses]
        tasks += [partial(self._rollup, *rollup) for rollup in ROLLUPS]
        tasks += [partial(self._distinct, "sessions", column, label)
                  for column, label in SESSION_NODES]
        tasks += [partial(self._distinct, "accounts", column, SHAPE.ends(rel_type)[1])
                  for column, rel_type in ACCOUNT_LINKS]
        for done in [pool.submit(task) for task in tasks]:
            done.result()

    def _account_nodes(self) -> None:
        assert self.files is not None and self.spool is not None
        header = [h for _c, h in ACCOUNT_COLUMNS] + [
            *(f"{name}:long" for name, _sql in ACCOUNT_TOTALS), "first_seen:datetime",
            "last_seen:datetime", "last_load", "loaded_at:datetime"]
        assert self._report is not None
        mark = (self._report.load_id, self._loaded_at)
        writer = self.files.nodes_of("Account", header)
        totals = [sql for _name, sql in ACCOUNT_TOTALS] + ["min(started)", "max(started)"]
        inner = ", ".join(f"{t} AS t{i}" for i, t in enumerate(totals))
        outer = ", ".join(f"t.t{i}" for i in range(len(totals)))
        width = len(ACCOUNT_COLUMNS)
        for row in self.spool.rows(
                f"SELECT a.*, {outer} FROM accounts a LEFT JOIN (SELECT account_id, {inner} "
                "FROM sessions GROUP BY account_id) t USING (account_id)"):
            writer.writerow([*row[:width], *(c or 0 for c in row[width:-2]),
                             row[-2], row[-1], *mark])

    def _rollup(self, column: str, rel_type: str) -> None:
        assert self.files is not None and self.spool is not None
        writer = self.files.rels_of(rel_type, (
            "sessions:long", "first_seen:datetime", "last_seen:datetime", "loaded_at:datetime"))
        for account_id, key, sessions, first, last in self.spool.rows(
                f"SELECT account_id, {column}, count(*), min(started), max(started) "
                f"FROM sessions WHERE {column} IS NOT NULL GROUP BY account_id, {column}"):
            writer.writerow((account_id, key, sessions, first, last, self._loaded_at))

    def _distinct(self, table: str, column: str, label: str) -> None:
        assert self.files is not None and self.spool is not None
        writer = self.files.nodes_of(label, [id_header(label)])
        writer.writerows(self.spool.rows(
            f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL"))

    def _addresses(self) -> None:
        """IP nodes for every address a session, a sign-up or the intel feed names."""
        assert self.files is not None and self.spool is not None
        files = self.files
        ips = files.nodes_of("IP", [id_header("IP"), "version:long", "network_type",
                                    "country", "asn:long", "as_org", "proxy_provider",
                                    "in_intel_feed:boolean"])
        in_prefix = files.rels_of("IN_PREFIX")
        in_asn = files.rels_of("IN_ASN")
        prefixes: set[str] = set()
        for address, network_type, country, asn, as_org, provider, known in self.spool.rows(
                "SELECT u.ip, i.network_type, i.country, i.asn, i.as_org, i.proxy_provider, "
                "i.ip IS NOT NULL FROM (SELECT ip FROM sessions UNION SELECT signup_ip "
                "FROM accounts WHERE signup_ip IS NOT NULL UNION SELECT ip FROM intel) u "
                "LEFT JOIN intel i ON i.ip = u.ip"):
            version, prefix = address_facts(address)
            prefixes.add(prefix)
            in_prefix.writerow((address, prefix))
            if not known:
                ips.writerow((address, version, "unknown", None, None, None, None, None))
                continue
            ips.writerow((address, version, network_type, country, asn, as_org, provider,
                          "true"))
            if asn is not None:
                in_asn.writerow((address, asn))
        files.nodes_of("Prefix", [id_header("Prefix")]).writerows((p,) for p in prefixes)
        # An ASN's organisation: the last one the feed names for it.
        asns: dict[int, str | None] = {}
        for number, org in self.spool.rows(
                "SELECT asn, as_org FROM intel WHERE asn IS NOT NULL ORDER BY rowid"):
            if org is not None or number not in asns:
                asns[number] = org or asns.get(number)
        files.nodes_of("ASN", [id_header("ASN", "{id-type: long}"), "as_org"]).writerows(
            asns.items())

    def _import(self) -> None:
        assert self.files is not None and self.work_dir is not None
        args = ["database", "import", "full", self.graph.database,
                "--overwrite-destination=true", "--skip-duplicate-nodes=true",
                "--multiline-fields=true", "--ignore-empty-strings=true",
                f"--report-file={self.work_dir / 'import.report'}"]
        args += [f"--nodes={label}={','.join(str(p) for p in paths)}"
                 for label, paths in sorted(self.files.nodes.items())]
        args += [f"--relationships={rel}={','.join(str(p) for p in paths)}"
                 for rel, paths in sorted(self.files.relationships.items())]
        result = self.server.admin(args, java_options=["-Xmx1g"])
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-8:])
            raise LoadError(f"neo4j-admin import failed; the graph is empty again.\n{tail}")
