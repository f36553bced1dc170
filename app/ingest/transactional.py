"""The transactional writer: clean batches written to the graph in transactions.

Each batch is written in one transaction per part (so a crash or Ctrl-C
leaves every committed batch whole), on a writer thread, while the next batch
is validated. Sessions already in the graph are skipped, and every roll-up
is updated by new sessions only, so a rerun of the same files changes
nothing and a rerun after an interruption completes the load.

One writer is the default: measured on two cores (bench/ingest.py, medium
preset), two writers reached 2,995 sessions/s and one 4,403, since parallel
transactions that link sessions to the same addresses, devices and templates
wait on each other's locks (and retry their deadlocks).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Collection
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import numpy as np
from neo4j.exceptions import ConstraintError

from app.addresses import address_facts
from app.db.graph import Graph
from app.ingest.contract import ACCOUNTS, IP_INTEL, SESSIONS, Table
from app.ingest.report import LoadReport
from app.ingest.shape import user_agent_key
from app.ingest.validate import Batch, in_sorted, key_digests

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# What a session points at: (input column, parameter name of the batch statements).
SESSION_ENTITIES = (
    ("ip", "ips"),
    ("device_fingerprint", "devices"),
    ("prompt_fingerprint", "templates"),
    ("api_key_id", "api_keys"),
    ("user_agent", "user_agents"),
)


class TransactionWriter:
    """Writes batches in transactions on `writers` threads (see the module docstring)."""

    def __init__(self, graph: Graph, writers: int = 1):
        self.graph = graph
        self.writers = max(1, writers)
        self._pool = ThreadPoolExecutor(max_workers=self.writers, thread_name_prefix="writer")
        self._pending: list[tuple[Future[int], Batch]] = []
        # Digests of the accounts this load created: their sessions cannot be in
        # the graph yet (unless another account's session has the same id, which
        # the session_id constraint catches), so no read is needed to skip them.
        self._created: list[np.ndarray[Any, np.dtype[np.uint64]]] = []
        self._created_sorted: np.ndarray[Any, np.dtype[np.uint64]] | None = None
        self._mark: dict[str, Any] = {"load_id": None, "loaded_at": None}

    def begin(self, report: LoadReport) -> None:
        """The load's mark, set on every account it creates or changes (new rows,
        new sessions): incremental detection reads "changed since" from it."""
        self._mark = {"load_id": report.load_id, "loaded_at": datetime.now(UTC)}

    def known_accounts(self, ids: Collection[str]) -> set[str]:
        rows = self.graph.read("ingest/existing_accounts", ids=list(ids))
        return {r["account_id"] for r in rows}

    def write(self, batch: Batch) -> None:
        """Prepare a batch here and write it on the writer threads.

        The batch is split by account (or address), one transaction per part,
        so parallel writers never update the same account or roll-up; shared
        entities are merged in a fixed order, and a deadlock between writers
        is retried by the driver. Each part commits whole or not at all.
        """
        table, rows = batch.table, batch.rows
        if not rows:
            return
        make_work = {ACCOUNTS.name: self._accounts_work, IP_INTEL.name: self._intel_work,
                     SESSIONS.name: self._sessions_work}[table.name]
        # Accounts and intel are small tables that share nodes (payment tokens,
        # prefixes): one writer. Sessions split by account over all writers.
        parts = partition(rows, "account_id", self.writers) if table is SESSIONS else [rows]
        works = [make_work(part) for part in parts if part]
        self.flush()
        for work in works:
            self._pending.append((self._pool.submit(self._write, work), batch))

    def flush(self) -> None:
        """Wait for the batches in flight; count what they created into their reports."""
        pending, self._pending = self._pending, []
        for future, batch in pending:
            batch.report.new += future.result()

    def finish(self, report: LoadReport) -> None:
        """Nothing left: every batch is committed."""

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _write(self, work: Callable[[Any], int] | tuple[Callable[[Any], int], ...]) -> int:
        """Run a transaction function; a pair is (optimistic, careful): when the
        optimistic one meets a session id already in the graph, the careful one runs."""
        with self.graph.session() as session:
            if callable(work):
                return int(session.execute_write(work))
            optimistic, careful = work
            try:
                return int(session.execute_write(optimistic))
            except ConstraintError:
                return int(session.execute_write(careful))

    def _note_created(self, keys: list[str]) -> None:
        if keys:
            self._created.append(key_digests(keys))
            self._created_sorted = None

    def _all_created_here(self, account_ids: Collection[str]) -> bool:
        """True when every one of these accounts was created by this load."""
        if not self._created:
            return False
        if self._created_sorted is None:
            self._created_sorted = np.unique(np.concatenate(self._created))
        return bool(np.all(in_sorted(self._created_sorted, key_digests(account_ids))))

    def _accounts_work(self, rows: list[dict[str, Any]]) -> Callable[[Any], int]:
        params = []
        for row in rows:
            row = dict(row)
            if row["signup_ip"]:
                row["signup_ip_version"], row["signup_prefix"] = address_facts(row["signup_ip"])
            # Missing status means "unchanged" on a known account, "active" on a new one.
            params.append(row)
        return self._upsert_work("ingest/accounts", "ingest/current_accounts", "account_id",
                                 ACCOUNTS, params, create_name="ingest/accounts_create",
                                 on_created=self._note_created)

    def _intel_work(self, rows: list[dict[str, Any]]) -> Callable[[Any], int]:
        params = []
        for row in rows:
            version, prefix = address_facts(row["ip"])
            params.append({**row, "version": version, "prefix": prefix})
        return self._upsert_work("ingest/ip_intel", "ingest/current_intel", "ip", IP_INTEL,
                                 params)

    def _upsert_work(self, statement_name: str, current_name: str, key: str, table: Table,
                     params: list[dict[str, Any]],
                     create_name: str | None = None,
                     on_created: Callable[[list[str]], None] = lambda keys: None
                     ) -> Callable[[Any], int]:
        """Write the rows that add or change something; unchanged rows are skipped, so
        rerunning a load costs a read, not a rewrite. With `create_name`, rows the
        graph does not hold yet go through that (cheaper) create statement, and
        `on_created` hears their keys."""
        statement = self.graph.statement(statement_name)
        current_q = self.graph.statement(current_name)
        create_q = self.graph.statement(create_name) if create_name else None
        columns = [c.name for c in table.columns]
        stored_name = {"ip": "address"}
        mark = self._mark if table is ACCOUNTS else {}

        def work(tx: Any) -> int:
            current = {rec["key"]: rec["props"]
                       for rec in tx.run(current_q, ids=[p[key] for p in params])}
            changed = [p for p in params
                       if not _same(p, current.get(p[key]), columns, stored_name)]
            if create_q is None:
                return _created(tx, statement, changed, mark)
            new = [p for p in changed if p[key] not in current]
            created = (_created(tx, create_q, new, mark)
                       + _created(tx, statement, [p for p in changed if p[key] in current], mark))
            on_created([p[key] for p in new])
            return created

        return work

    def _sessions_work(self, rows: list[dict[str, Any]]
                       ) -> Callable[[Any], int] | tuple[Callable[[Any], int], ...]:
        existing_q = self.graph.statement("ingest/existing_sessions")
        entities_q = self.graph.statement("ingest/session_entities")
        create_q = self.graph.statement("ingest/sessions_create")
        rollups_q = self.graph.statement("ingest/session_rollups")
        mark = self._mark
        # Prepared here, on the validating thread, while the writers work: in a
        # first load every session is new, so the transaction only sends them.
        params = [session_params(row) for row in rows]
        prepared = session_entity_params(params)

        def write(tx: Any, new: list[dict[str, Any]], nodes: dict[str, Any],
                  rollups: dict[str, Any]) -> int:
            tx.run(entities_q, **nodes).consume()
            tx.run(create_q, rows=new, **mark).consume()
            tx.run(rollups_q, **rollups, loaded_at=mark["loaded_at"]).consume()
            return len(new)

        def careful(tx: Any) -> int:
            ids = [p["session_id"] for p in params]
            existing = {rec["session_id"] for rec in tx.run(existing_q, ids=ids)}
            if not existing:
                return write(tx, params, *prepared)
            new = [p for p in params if p["session_id"] not in existing]
            return write(tx, new, *session_entity_params(new)) if new else 0

        if self._all_created_here({p["account_id"] for p in params}):
            return (lambda tx: write(tx, params, *prepared)), careful
        return careful


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


def _created(tx: Any, statement: str, rows: list[dict[str, Any]],
             params: dict[str, Any]) -> int:
    """Run a batch statement over rows (none: nothing to do); how many it created."""
    if not rows:
        return 0
    return int(tx.run(statement, rows=rows, **params).single(strict=True)["created"])


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
