"""Schema migrations: ordered .cypher files under cypher/schema/, applied once each."""

from __future__ import annotations

import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from app.db.cypher import split_statements
from app.db.graph import Graph

# A statement that only creates a constraint or an index (comments before it allowed).
_SCHEMA_CREATE = re.compile(r"^(\s*//[^\n]*\n)*\s*CREATE\s+(CONSTRAINT|INDEX)\b", re.IGNORECASE)


def migration_files(cypher_dir: Path) -> list[Path]:
    """The schema files in the order they apply (by their numeric prefix)."""
    return sorted((cypher_dir / "schema").glob("[0-9][0-9][0-9][0-9]_*.cypher"))


def apply_migrations(graph: Graph, workers: int = 1) -> list[str]:
    """Apply every schema file not yet recorded in the graph; the names applied.

    Each statement is idempotent (IF NOT EXISTS), so a run interrupted between
    a statement and the record is simply completed by the next one. A file
    whose text changed after it was applied is applied again.

    With `workers` above one, a file that only creates constraints and indexes
    runs its statements side by side: after a bulk import every constraint
    scans a full store, and the scans of different labels overlap.
    """
    done = {row["name"]: row["checksum"] for row in graph.read("db/applied_migrations")}
    applied: list[str] = []
    for path in migration_files(graph.settings.cypher_dir):
        text = path.read_text(encoding="utf-8")
        checksum = hashlib.sha256(text.encode()).hexdigest()
        if done.get(path.name) == checksum:
            continue
        statements = split_statements(text)
        if workers > 1 and all(_SCHEMA_CREATE.match(s) for s in statements):
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(lambda statement: _run_schema(graph, statement), statements))
        else:
            for statement in statements:
                # Schema statements cannot share a transaction with data writes.
                graph.run_text(statement)
        graph.write("db/record_migration", name=path.name, checksum=checksum)
        applied.append(path.name)
    if applied:
        graph.autocommit("db/await_indexes")
    return applied


def _run_schema(graph: Graph, statement: str) -> None:
    """One schema statement in a transaction of its own, retried by the driver
    when a concurrent one holds the schema lock."""
    with graph.session() as session:
        session.execute_write(lambda tx: tx.run(statement).consume())


def clear_graph(graph: Graph, batch: int = 10_000) -> int:
    """Delete every data node (not the schema) in batches; the number deleted."""
    total = 0
    while True:
        deleted = graph.write("db/clear_graph_batch", batch=batch)[0]["deleted"]
        total += deleted
        if deleted < batch:
            return total
