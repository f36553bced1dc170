"""Schema migrations: ordered .cypher files under cypher/schema/, applied once each."""

from __future__ import annotations

import hashlib
from pathlib import Path

from app.db.cypher import split_statements
from app.db.graph import Graph


def migration_files(cypher_dir: Path) -> list[Path]:
    """The schema files in the order they apply (by their numeric prefix)."""
    return sorted((cypher_dir / "schema").glob("[0-9][0-9][0-9][0-9]_*.cypher"))


def apply_migrations(graph: Graph) -> list[str]:
    """Apply every schema file not yet recorded in the graph; the names applied.

    Each statement is idempotent (IF NOT EXISTS), so a run interrupted between
    a statement and the record is simply completed by the next one. A file
    whose text changed after it was applied is applied again.
    """
    done = {row["name"]: row["checksum"] for row in graph.read("db/applied_migrations")}
    applied: list[str] = []
    for path in migration_files(graph.settings.cypher_dir):
        text = path.read_text(encoding="utf-8")
        checksum = hashlib.sha256(text.encode()).hexdigest()
        if done.get(path.name) == checksum:
            continue
        for statement in split_statements(text):
            # Schema statements cannot share a transaction with data writes.
            graph.run_text(statement)
        graph.write("db/record_migration", name=path.name, checksum=checksum)
        applied.append(path.name)
    if applied:
        graph.autocommit("db/await_indexes")
    return applied


def clear_graph(graph: Graph, batch: int = 10_000) -> int:
    """Delete every data node (not the schema) in batches; the number deleted."""
    total = 0
    while True:
        deleted = graph.write("db/clear_graph_batch", batch=batch)[0]["deleted"]
        total += deleted
        if deleted < batch:
            return total
