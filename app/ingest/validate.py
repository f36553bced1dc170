"""Validation: read the tables, clean every row, drop repeats, reject with reasons.

The one place where rows become clean batches. A writer (transactional or
import-file, see `app.ingest`) only writes what comes out of here; every row
that does not is written to the rejects file with its file, line, column
and reason, and counted in the table's report.

Tables come in the order their references need (accounts, then the intel
feed, then sessions), and a session is kept only when its account is in this
load or, as the writer answers, already in the graph.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import numpy as np

from app.ingest.contract import ACCOUNTS, IP_INTEL, SESSIONS, Table, clean_row
from app.ingest.readers import RawRow, SourceFile, TableReader
from app.ingest.report import RejectsWriter, TableReport
from app.progress import Progress

ACCOUNT_BATCH = 5_000
INTEL_BATCH = 5_000
SESSION_BATCH = 10_000
TABLE_ORDER = (ACCOUNTS, IP_INTEL, SESSIONS)

Rows = list[tuple[RawRow, dict[str, Any]]]
# Which of these account ids the graph already holds (the writer knows).
KnownAccounts = Callable[[Collection[str]], Collection[str]]


@dataclass
class Batch:
    """Clean rows of one table, ready to write; `report` is the table's."""

    table: Table
    rows: list[dict[str, Any]]
    report: TableReport


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
        digests = key_digests(keys)
        again = np.ones(len(keys), dtype=bool)
        again[np.unique(digests, return_index=True)[1]] = False  # first of each stays
        for run in self._runs:
            again |= in_sorted(run, digests)
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


def in_sorted(run: np.ndarray[Any, np.dtype[np.uint64]],
              digests: np.ndarray[Any, np.dtype[np.uint64]]) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Per digest: True when the sorted, non-empty `run` holds it."""
    at = np.minimum(np.searchsorted(run, digests), len(run) - 1)
    return np.asarray(run[at] == digests)


def key_digests(keys: Collection[str]) -> np.ndarray[Any, np.dtype[np.uint64]]:
    """A 64-bit digest per key (8 bytes a key, whatever the ids look like)."""
    return np.fromiter((_digest(k) for k in keys), dtype=np.uint64, count=len(keys))


class Validation:
    """One load's validation over the tables found in its directory.

    Used as a context manager: entering opens every file (and checks its
    header) before anything is written; leaving closes them.
    """

    def __init__(self, sources: dict[str, SourceFile], rejects: RejectsWriter,
                 known_accounts: KnownAccounts, progress: bool | None = None):
        self.sources = sources
        self.rejects = rejects
        self.known_accounts = known_accounts
        self.progress = progress
        self.loaded_accounts: set[str] = set()
        self._in_graph: set[str] = set()
        self._readers: dict[str, TableReader] = {}

    def __enter__(self) -> Validation:
        try:
            for name, source in self.sources.items():
                self._readers[name] = TableReader(source)
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._close()

    def _close(self) -> None:
        for reader in self._readers.values():
            reader.close()

    def tables(self) -> Iterator[TableValidation]:
        """Each table present, in reference order."""
        for table in TABLE_ORDER:
            if table.name in self._readers:
                yield TableValidation(self, table, self._readers[table.name])

    def reject(self, report: TableReport, raw: RawRow, column: str, reason: str) -> None:
        report.rejected += 1
        self.rejects.add(report.file, raw.line, column, reason, raw.raw)

    def drop_unknown_accounts(self, batch: Rows, report: TableReport) -> Rows:
        """Sessions whose account is in this load or in the graph; the others rejected."""
        loaded, in_graph = self.loaded_accounts, self._in_graph
        wanted = {c["account_id"] for _r, c in batch} - loaded - in_graph
        if wanted:
            in_graph.update(self.known_accounts(sorted(wanted)))
        kept = []
        for raw, clean in batch:
            account = clean["account_id"]
            if account in loaded or account in in_graph:
                kept.append((raw, clean))
            else:
                self.reject(report, raw, "account_id",
                            f"account_id {account!r} names no account in this load or in "
                            "the graph")
        return kept


class TableValidation:
    """One table's pass: its clean batches, then `finish` closes its report."""

    def __init__(self, validation: Validation, table: Table, reader: TableReader):
        self.validation = validation
        self.table = table
        self.reader = reader
        self.report = TableReport(file=reader.source.path.name)
        self._bar = Progress(f"{table.name:<8}", enabled=validation.progress)
        self._began = time.monotonic()

    def batches(self) -> Iterator[Batch]:
        table, report = self.table, self.report
        self._began = time.monotonic()
        size = {ACCOUNTS.name: ACCOUNT_BATCH, IP_INTEL.name: INTEL_BATCH}.get(
            table.name, SESSION_BATCH)
        guard = DuplicateGuard()
        batch: Rows = []
        for raw, clean in self._clean_rows():
            batch.append((raw, clean))
            if len(batch) >= size:
                yield self._batch(batch, guard)
                batch = []
                self._bar.update(report.read, _fraction(self.reader, report.read))
        if batch:
            yield self._batch(batch, guard)

    def finish(self) -> None:
        """After the writer has written every batch: the report's remaining figures."""
        self.report.ignored_columns = sorted(self.reader.ignored_columns)
        self.report.seconds = time.monotonic() - self._began
        self._bar.update(self.report.read)
        self._bar.done()

    def _clean_rows(self) -> Iterator[tuple[RawRow, dict[str, Any]]]:
        table, report, reject = self.table, self.report, self.validation.reject
        for raw in self.reader.rows():
            report.read += 1
            if raw.problem:
                reject(report, raw, "", f"the row {raw.problem}")
                continue
            clean, problem = clean_row(table, raw.values)
            if problem or clean is None:
                assert problem is not None
                reject(report, raw, problem.column, problem.reason)
                continue
            yield raw, clean

    def _batch(self, rows: Rows, guard: DuplicateGuard) -> Batch:
        table, report, validation = self.table, self.report, self.validation
        rows = self._first_of_each_key(rows, guard)
        if table is SESSIONS:
            rows = validation.drop_unknown_accounts(rows, report)
        clean = [c for _raw, c in rows]
        if table is ACCOUNTS:
            validation.loaded_accounts.update(r["account_id"] for r in clean)
        report.loaded += len(clean)
        return Batch(table, clean, report)

    def _first_of_each_key(self, batch: Rows, guard: DuplicateGuard) -> Rows:
        """The batch without the rows whose key an earlier row of the file has (rejected)."""
        key_column = self.table.key
        kept = []
        repeated = guard.repeated([clean[key_column] for _raw, clean in batch])
        for (raw, clean), again in zip(batch, repeated, strict=True):
            if again:
                self.validation.reject(
                    self.report, raw, key_column,
                    f"duplicate {key_column} {clean[key_column]!r}: an earlier row of this "
                    "file has it")
            else:
                kept.append((raw, clean))
        return kept


def _fraction(reader: TableReader, rows_read: int) -> float | None:
    """How much of the file is read: by rows where the file says (Parquet), else by bytes."""
    if reader.total_rows:
        return min(rows_read / reader.total_rows, 1.0)
    done = reader.bytes_read()
    if done is None or not reader.total_bytes:
        return None
    return min(done / reader.total_bytes, 1.0)
