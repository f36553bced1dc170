"""Loading: provider exports into the evidence graph.

`load_directory` finds the tables of a directory, validates them
(`validate`: clean batches and rejects) and hands the clean batches to one of
two writers with the same small interface:

- `TransactionWriter` (`transactional`): transactions on a live graph, any
  server, adds to what is there; reruns change nothing.
- `ImportFileWriter` (`importfile`): import files for `neo4j-admin database
  import`, for a first load into an empty managed graph (`--bulk`).

Both build the same graph (`cypher/ingest/graph.toml` is its shape).
"""

from __future__ import annotations

import time
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from neo4j.exceptions import DriverError, Neo4jError

from app.db.graph import Graph
from app.ingest.readers import find_tables
from app.ingest.report import (
    LoadError,
    LoadReport,
    RejectsWriter,
    default_rejects_path,
    new_load_id,
)
from app.ingest.validate import Batch, Validation

__all__ = ["LoadError", "LoadReport", "Writer", "default_rejects_path", "load_directory"]


class Writer(Protocol):
    """Where clean batches go. Calls come in this order: `begin`, then per table
    its batches (`write`, which may return before the batch is written) and a
    `flush`, then `finish` after the last table; `close` always, last."""

    def begin(self, report: LoadReport) -> None:
        """Check that the load can go this way and prepare; before anything is read."""

    def known_accounts(self, ids: Collection[str]) -> Collection[str]:
        """Which of these account ids the graph already holds."""

    def write(self, batch: Batch) -> None:
        """Write (or start writing) a batch; add what it creates to `batch.report.new`."""

    def flush(self) -> None:
        """Return when every batch written so far is written."""

    def finish(self, report: LoadReport) -> None:
        """Whatever needs the whole load, after its last batch."""

    def close(self) -> None:
        """Let go of threads and files, whether the load finished or not."""


def load_directory(graph: Graph, directory: Path, rejects_path: Path,
                   progress: bool | None = None, writers: int = 1,
                   bulk: bool = False, partial: bool = False) -> LoadReport:
    """Load one directory; the report.

    With `bulk`, an empty managed graph is filled by Neo4j's offline importer
    (the import-file writer) instead of transactions on `writers` threads.
    With `partial`, the directory may hold any subset of the tables (a batch of
    the watched inbox).
    """
    sources = find_tables(directory, partial=partial)  # missing / ambiguous files fail here
    writer: Writer
    if bulk:
        from app.db.managed import ManagedNeo4j
        from app.ingest.importfile import ImportFileWriter

        if not graph.settings.managed:
            raise LoadError("a bulk load needs the managed Neo4j (NEO4J_URI is set); "
                            "load without --bulk")
        writer = ImportFileWriter(graph, ManagedNeo4j(graph.settings), progress=progress)
    else:
        from app.ingest.transactional import TransactionWriter

        writer = TransactionWriter(graph, writers=writers)
    report = LoadReport(load_id=new_load_id(), directory=str(directory))
    began, started_at = time.monotonic(), datetime.now(UTC)
    rejects = RejectsWriter(rejects_path)
    try:
        writer.begin(report)
        try:
            with Validation(sources, rejects, writer.known_accounts, progress) as validation:
                for part in validation.tables():
                    report.tables[part.table.name] = part.report
                    for batch in part.batches():
                        writer.write(batch)
                    writer.flush()
                    part.finish()
        except (DriverError, Neo4jError, OSError) as exc:
            raise LoadError(
                f"the load stopped: {exc}. Every batch written so far is complete; "
                "run the same load again to finish it"
            ) from exc
        finally:
            rejects.close()
        if rejects.count:
            report.rejects_file = str(rejects.path)
        writer.finish(report)
    finally:
        writer.close()
    report.seconds = time.monotonic() - began
    # Provenance: the data snapshot a detection run or a case dossier rests on.
    graph.write("ingest/record_load", load_id=report.load_id, directory=str(directory),
                started_at=started_at, report=report.as_json())
    return report
