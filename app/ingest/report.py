"""What a load reports: per table, rows read, loaded, new and rejected; the rejects file."""

from __future__ import annotations

import csv
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from app.errors import HydrascopeError


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
    # Seconds per step after the tables were read (the import-file writer's
    # aggregation, import, restart and schema); empty for the transactional writer.
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

    def as_json(self) -> str:
        return json.dumps(self.as_dict(), sort_keys=True)


def new_load_id() -> str:
    return uuid.uuid4().hex[:12]


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


def default_rejects_path(home: Path) -> Path:
    """Where rejects go when --rejects is not given."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return home / "rejects" / f"load-{stamp}-{uuid.uuid4().hex[:6]}.csv"
