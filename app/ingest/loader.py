"""Load a directory of provider logs into the evidence graph.

Rows stream from the readers through validation into batches; each batch is
written in one transaction (so a crash or Ctrl-C leaves every committed batch
whole), while the next batch is validated. Sessions already in the graph are
skipped, and every roll-up is updated by new sessions only, so a rerun of the
same files changes nothing and a rerun after an interruption completes the
load.
"""

from __future__ import annotations

import csv
import hashlib
import json
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
from neo4j.exceptions import DriverError, Neo4jError

from app.addresses import address_facts
from app.db.graph import Graph
from app.errors import HydrascopeError
from app.ingest.contract import ACCOUNTS, IP_INTEL, SESSIONS, Table, clean_row
from app.ingest.readers import RawRow, SourceFile, TableReader, find_tables
from app.progress import Progress

ACCOUNT_BATCH = 5_000
INTEL_BATCH = 5_000
SESSION_BATCH = 10_000
USER_AGENT_KEY_LIMIT = 512
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# What a session points at: (input column, parameter name of the batch statements).
SESSION_ENTITIES = (
    ("ip", "ips"),
    ("device_fingerprint", "devices"),
    ("prompt_fingerprint", "templates"),
    ("api_key_id", "api_keys"),
    ("user_agent", "user_agents"),
)


class LoadError(HydrascopeError):
    """The load could not go on (the graph stopped answering, a file broke off)."""


@dataclass
class TableReport:
    file: str
    read: int = 0
    loaded: int = 0
    new: int = 0
    rejected: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "read": self.read, "loaded": self.loaded, "new": self.new,
            "rejected": self.rejected, "ignored_columns": self.ignored_columns,
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.read / self.seconds) if self.seconds else None,
        }


@dataclass
class LoadReport:
    load_id: str
    directory: str
    tables: dict[str, TableReport] = field(default_factory=dict)
    rejects_file: str | None = None
    seconds: float = 0.0
    # Seconds per step after the tables were read (the bulk path's aggregation,
    # import, restart and schema); empty on the transactional path.
    steps: dict[str, float] = field(default_factory=dict)

    @property
    def rejected(self) -> int:
        return sum(t.rejected for t in self.tables.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "load_id": self.load_id, "directory": self.directory,
            "tables": {name: t.as_dict() for name, t in self.tables.items()},
            "rejected": self.rejected, "rejects_file": self.rejects_file,
            "seconds": round(self.seconds, 3),
            **({"steps": {k: round(v, 3) for k, v in self.steps.items()}} if self.steps else {}),
        }


class RejectsWriter:
    """The rejects file (CSV: file, line, column, reason, raw), created on first use."""

    HEADER = ("file", "line", "column", "reason", "raw")

    def __init__(self, path: Path):
        self.path = path
        self._fh: IO[str] | None = None
        self._writer: Any = None
        self.count = 0

    def add(self, file: str, line: int, column: str, reason: str, raw: str) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "w", newline="", encoding="utf-8")  # noqa: SIM115
            self._writer = csv.writer(self._fh)
            self._writer.writerow(self.HEADER)
        self._writer.writerow((file, line, column, reason, raw))
        self.count += 1

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


def user_agent_key(value: str) -> str:
    """The UserAgent node key: the value, or for a huge one a prefix plus its digest."""
    if len(value) <= USER_AGENT_KEY_LIMIT:
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return f"{value[:USER_AGENT_KEY_LIMIT]}…#{digest}"


class DuplicateGuard:
    """Remembers the keys of one file to reject a repeated id.

    Keeps a 64-bit digest per key rather than the key, in sorted NumPy runs
    (8 bytes a row, whatever the ids look like), and checks a batch at once.
    A new batch's digests become a run; runs are merged like a binary counter,
    so there are O(log n) of them and the merging stays O(n log n) in all.
    """

    def __init__(self) -> None:
        self._runs: list[np.ndarray[Any, np.dtype[np.uint64]]] = []

    def repeated(self, keys: list[str]) -> list[bool]:
        """Per key: True when an earlier key (of this batch or one before) is the same."""
        digests = np.fromiter((_digest(k) for k in keys), dtype=np.uint64, count=len(keys))
        again = np.ones(len(keys), dtype=bool)
        again[np.unique(digests, return_index=True)[1]] = False  # first of each stays
        for run in self._runs:
            at = np.minimum(np.searchsorted(run, digests), len(run) - 1)
            again |= run[at] == digests
        new = np.sort(digests[~again])
        if len(new):
            self._runs.append(new)
            while len(self._runs) > 1 and len(self._runs[-2]) < 2 * len(self._runs[-1]):
                last = self._runs.pop()
                self._runs[-1] = np.sort(np.concatenate((self._runs[-1], last)))
        return again.tolist()

    def __len__(self) -> int:
        return sum(len(run) for run in self._runs)


def _digest(key: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=8).digest(), "little")


class Loader:
    """One load of one directory."""

    def __init__(self, graph: Graph, directory: Path, rejects_path: Path,
                 progress: bool | None = None, writers: int = 2):
        self.graph = graph
        self.directory = directory
        self.sources = find_tables(directory)  # missing / ambiguous files fail here
        self.rejects = RejectsWriter(rejects_path)
        self.progress = progress
        self.report = LoadReport(load_id=uuid.uuid4().hex[:12], directory=str(directory))
        self.loaded_accounts: set[str] = set()
        self._known_accounts: set[str] = set()
        self.writers = max(1, writers)
        self._pool = ThreadPoolExecutor(max_workers=self.writers, thread_name_prefix="writer")
        self._pending: list[Future[int]] = []
        self._pending_report: TableReport | None = None
        self._began = time.monotonic()
        self._started_at = datetime.now(UTC)

    # -- the whole load --------------------------------------------------------

    def run(self) -> LoadReport:
        """Validate and write every table, then record the load."""
        report = self.run_tables()
        self.record_load()
        return report

    def run_tables(self) -> LoadReport:
        """Validate every table and hand its batches to `_submit`; the report."""
        self._began = time.monotonic()
        self._started_at = datetime.now(UTC)
        # Open every file (and check its header) before anything is written.
        readers = {name: TableReader(source) for name, source in self.sources.items()}
        try:
            for table in (ACCOUNTS, IP_INTEL, SESSIONS):
                if table.name in readers:
                    self._load_table(table, readers[table.name])
        except (DriverError, Neo4jError, OSError) as exc:
            raise LoadError(
                f"the load stopped: {exc}. Every batch written so far is complete; "
                "run the same load again to finish it"
            ) from exc
        finally:
            for reader in readers.values():
                reader.close()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self.rejects.close()
        if self.rejects.count:
            self.report.rejects_file = str(self.rejects.path)
        return self.report

    def record_load(self) -> None:
        """Record the finished load in the graph (provenance)."""
        self.report.seconds = time.monotonic() - self._began
        self.graph.write("ingest/record_load", load_id=self.report.load_id,
                         directory=str(self.directory), started_at=self._started_at,
                         report=_json(self.report.as_dict()))

    def _load_table(self, table: Table, reader: TableReader) -> None:
        source: SourceFile = reader.source
        report = TableReport(file=source.path.name)
        self.report.tables[table.name] = report
        bar = Progress(f"{table.name:<8}", enabled=self.progress)
        began = time.monotonic()
        batch_size = {"accounts": ACCOUNT_BATCH, "ip_intel": INTEL_BATCH}.get(
            table.name, SESSION_BATCH)
        guard = DuplicateGuard()
        batch: list[tuple[RawRow, dict[str, Any]]] = []
        for raw, clean in self._clean_rows(table, reader, report):
            batch.append((raw, clean))
            if len(batch) >= batch_size:
                self._submit(table, self._first_of_each_key(table, batch, guard, report),
                             report)
                batch = []
                bar.update(report.read, _fraction(reader, report.read))
        if batch:
            self._submit(table, self._first_of_each_key(table, batch, guard, report), report)
        self._wait()
        report.ignored_columns = sorted(reader.ignored_columns)
        report.seconds = time.monotonic() - began
        bar.update(report.read)
        bar.done()

    def _clean_rows(self, table: Table, reader: TableReader,
                    report: TableReport) -> Iterator[tuple[RawRow, dict[str, Any]]]:
        for raw in reader.rows():
            report.read += 1
            if raw.problem:
                self._reject(report, raw, "", f"the row {raw.problem}")
                continue
            clean, problem = clean_row(table, raw.values)
            if problem or clean is None:
                assert problem is not None
                self._reject(report, raw, problem.column, problem.reason)
                continue
            yield raw, clean

    def _first_of_each_key(self, table: Table, batch: list[tuple[RawRow, dict[str, Any]]],
                           guard: DuplicateGuard, report: TableReport
                           ) -> list[tuple[RawRow, dict[str, Any]]]:
        """The batch without the rows whose key an earlier row of the file has (rejected)."""
        kept = []
        repeated = guard.repeated([clean[table.key] for _raw, clean in batch])
        for (raw, clean), again in zip(batch, repeated, strict=True):
            if again:
                key = clean[table.key]
                self._reject(report, raw, table.key,
                             f"duplicate {table.key} {key!r}: an earlier row of this file "
                             "has it")
            else:
                kept.append((raw, clean))
        return kept

    def _reject(self, report: TableReport, raw: RawRow, column: str, reason: str) -> None:
        report.rejected += 1
        self.rejects.add(report.file, raw.line, column, reason, raw.raw)

    # -- batches ---------------------------------------------------------------

    def _submit(self, table: Table, batch: list[tuple[RawRow, dict[str, Any]]],
                report: TableReport) -> None:
        """Prepare a batch here and write it on the writer threads.

        The batch is split by account (or address), one transaction per part,
        so parallel writers never update the same account or roll-up; shared
        entities are merged in a fixed order, and a deadlock between writers
        is retried by the driver. Each part commits whole or not at all.
        """
        if table is SESSIONS:
            batch = self._drop_unknown_accounts(batch, report)
        rows = [clean for _raw, clean in batch]
        if not rows:
            return
        if table is ACCOUNTS:
            self.loaded_accounts.update(r["account_id"] for r in rows)
        make_work = {ACCOUNTS.name: self._accounts_work, IP_INTEL.name: self._intel_work,
                     SESSIONS.name: self._sessions_work}[table.name]
        # Accounts and intel are small tables that share nodes (payment tokens,
        # prefixes): one writer. Sessions split by account over all writers.
        parts = partition(rows, "account_id", self.writers) if table is SESSIONS else [rows]
        works = [make_work(part) for part in parts if part]
        self._wait()
        report.loaded += len(rows)
        self._pending_report = report
        for work in works:
            self._pending.append(self._pool.submit(self._write, work))

    def _write(self, work: Callable[[Any], int]) -> int:
        with self.graph.session() as session:
            return int(session.execute_write(work))

    def _wait(self) -> None:
        pending, self._pending = self._pending, []
        for future in pending:
            assert self._pending_report is not None
            self._pending_report.new += future.result()

    def _drop_unknown_accounts(self, batch: list[tuple[RawRow, dict[str, Any]]],
                               report: TableReport) -> list[tuple[RawRow, dict[str, Any]]]:
        wanted = {c["account_id"] for _r, c in batch} - self.loaded_accounts - self._known_accounts
        if wanted:
            rows = self.graph.read("ingest/existing_accounts", ids=sorted(wanted))
            self._known_accounts.update(r["account_id"] for r in rows)
        kept = []
        for raw, clean in batch:
            account = clean["account_id"]
            if account in self.loaded_accounts or account in self._known_accounts:
                kept.append((raw, clean))
            else:
                self._reject(report, raw, "account_id",
                             f"account_id {account!r} names no account in this load or in "
                             "the graph")
        return kept

    def _accounts_work(self, rows: list[dict[str, Any]]) -> Callable[[Any], int]:
        params = []
        for row in rows:
            row = dict(row)
            if row["signup_ip"]:
                row["signup_ip_version"], row["signup_prefix"] = address_facts(row["signup_ip"])
            # Missing status means "unchanged" on a known account, "active" on a new one.
            params.append(row)
        return self._upsert_work("ingest/accounts", "ingest/current_accounts", "account_id",
                                 ACCOUNTS, params, create_name="ingest/accounts_create")

    def _intel_work(self, rows: list[dict[str, Any]]) -> Callable[[Any], int]:
        params = []
        for row in rows:
            version, prefix = address_facts(row["ip"])
            params.append({**row, "version": version, "prefix": prefix})
        return self._upsert_work("ingest/ip_intel", "ingest/current_intel", "ip", IP_INTEL,
                                 params)

    def _upsert_work(self, statement_name: str, current_name: str, key: str, table: Table,
                     params: list[dict[str, Any]],
                     create_name: str | None = None) -> Callable[[Any], int]:
        """Write the rows that add or change something; unchanged rows are skipped, so
        rerunning a load costs a read, not a rewrite. With `create_name`, rows the
        graph does not hold yet go through that (cheaper) create statement."""
        statement = self.graph.statement(statement_name)
        current_q = self.graph.statement(current_name)
        create_q = self.graph.statement(create_name) if create_name else None
        columns = [c.name for c in table.columns]
        stored_name = {"ip": "address"}

        def work(tx: Any) -> int:
            current = {rec["key"]: rec["props"]
                       for rec in tx.run(current_q, ids=[p[key] for p in params])}
            changed = [p for p in params
                       if not _same(p, current.get(p[key]), columns, stored_name)]
            if create_q is None:
                return _created(tx, statement, changed)
            return (_created(tx, create_q, [p for p in changed if p[key] not in current])
                    + _created(tx, statement, [p for p in changed if p[key] in current]))

        return work

    def _sessions_work(self, rows: list[dict[str, Any]]) -> Callable[[Any], int]:
        existing_q = self.graph.statement("ingest/existing_sessions")
        entities_q = self.graph.statement("ingest/session_entities")
        create_q = self.graph.statement("ingest/sessions_create")
        rollups_q = self.graph.statement("ingest/session_rollups")
        # Prepared here, on the validating thread, while the writers work: in a
        # first load every session is new, so the transaction only sends them.
        params = [session_params(row) for row in rows]
        prepared = session_entity_params(params)

        def work(tx: Any) -> int:
            ids = [p["session_id"] for p in params]
            existing = {rec["session_id"] for rec in tx.run(existing_q, ids=ids)}
            new, (nodes, rollups) = params, prepared
            if existing:
                new = [p for p in params if p["session_id"] not in existing]
                if not new:
                    return 0
                nodes, rollups = session_entity_params(new)
            tx.run(entities_q, **nodes).consume()
            tx.run(create_q, rows=new).consume()
            tx.run(rollups_q, **rollups).consume()
            return len(new)

        return work


def epoch_us(value: datetime) -> int:
    """Microseconds since the epoch: how times travel to Neo4j in bulk."""
    since = value - EPOCH
    return (since.days * 86_400 + since.seconds) * 1_000_000 + since.microseconds


def session_params(row: dict[str, Any]) -> dict[str, Any]:
    """A clean session row as the batch statements take it: its times as
    microseconds since the epoch (`started_us`, `ended_us`)."""
    params = dict(row)
    started, ended = params.pop("started_at"), params.pop("ended_at")
    params["started_us"] = epoch_us(started)
    params["ended_us"] = None if ended is None else epoch_us(ended)
    return params


def session_entity_params(rows: list[dict[str, Any]]
                          ) -> tuple[dict[str, list[Any]], dict[str, list[dict[str, Any]]]]:
    """The batch's distinct entities per kind, and its account roll-ups per kind
    (rows as `session_params` makes them)."""
    nodes: dict[str, list[Any]] = {}
    rollups: dict[str, list[dict[str, Any]]] = {}
    agent_keys: dict[str, str] = {}
    for column, param in SESSION_ENTITIES:
        seen: dict[str, Any] = {}
        pairs: dict[tuple[str, str], dict[str, Any]] = {}
        rolled_up = param != "templates"
        for row in rows:
            key = row[column]
            if key is None:
                continue
            if column == "user_agent":  # hashed once per distinct value
                agent = agent_keys.get(key)
                if agent is None:
                    agent = agent_keys[key] = user_agent_key(key)
                key = agent
            if key not in seen:
                if column == "ip":
                    version, prefix = address_facts(key)
                    seen[key] = {"key": key, "version": version, "prefix": prefix}
                else:
                    seen[key] = key
            if not rolled_up:
                continue
            started = row["started_us"]
            pair = (row["account_id"], key)
            roll = pairs.get(pair)
            if roll is None:
                pairs[pair] = {"account_id": pair[0], "key": key, "sessions": 1,
                               "first_us": started, "last_us": started}
            else:
                roll["sessions"] += 1
                if started < roll["first_us"]:
                    roll["first_us"] = started
                if started > roll["last_us"]:
                    roll["last_us"] = started
        # A fixed order of merges keeps parallel writers from deadlocking.
        nodes[param] = [seen[k] for k in sorted(seen)]
        if rolled_up:
            rollups[param] = list(pairs.values())
    return nodes, rollups


def _created(tx: Any, statement: str, rows: list[dict[str, Any]]) -> int:
    """Run a batch statement over rows (none: nothing to do); how many it created."""
    if not rows:
        return 0
    return int(tx.run(statement, rows=rows).single(strict=True)["created"])


def _same(row: dict[str, Any], stored: dict[str, Any] | None, columns: list[str],
          renamed: dict[str, str]) -> bool:
    """True when the graph already holds every value the row gives."""
    if stored is None:
        return False
    for column in columns:
        value = row.get(column)
        if value is None:
            continue
        held = stored.get(renamed.get(column, column))
        to_native = getattr(held, "to_native", None)
        if to_native is not None:
            held = to_native()
        if held != value:
            return False
    return True


def partition(rows: list[dict[str, Any]], owner: str, parts: int) -> list[list[dict[str, Any]]]:
    """Split rows into parts by a stable hash of their owner column."""
    if parts == 1:
        return [rows]
    out: list[list[dict[str, Any]]] = [[] for _ in range(parts)]
    for row in rows:
        out[zlib.crc32(row[owner].encode("utf-8", "surrogateescape")) % parts].append(row)
    return out


def _fraction(reader: TableReader, rows_read: int) -> float | None:
    """How much of the file is read: by rows where the file says (Parquet), else by bytes."""
    if reader.total_rows:
        return min(rows_read / reader.total_rows, 1.0)
    done = reader.bytes_read()
    if done is None or not reader.total_bytes:
        return None
    return min(done / reader.total_bytes, 1.0)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def default_rejects_path(home: Path) -> Path:
    """Where rejects go when --rejects is not given."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return home / "rejects" / f"load-{stamp}-{uuid.uuid4().hex[:6]}.csv"


def load_directory(graph: Graph, directory: Path, rejects_path: Path,
                   progress: bool | None = None, writers: int = 2,
                   bulk: bool = False) -> LoadReport:
    """Load one directory (see the module docstring); the report.

    With `bulk`, an empty managed graph is filled by Neo4j's offline importer
    (see ingest.bulk) instead of transactions.
    """
    if bulk:
        from app.db.managed import ManagedNeo4j
        from app.ingest.bulk import BulkLoader

        if not graph.settings.managed:
            raise LoadError("a bulk load needs the managed Neo4j (NEO4J_URI is set); "
                            "load without --bulk")
        return BulkLoader(graph, directory, rejects_path, ManagedNeo4j(graph.settings),
                          progress=progress).run()
    return Loader(graph, directory, rejects_path, progress=progress, writers=writers).run()
