"""Write rows as the contract's tables: CSV, JSON Lines or Parquet, optionally gzipped."""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from app.ingest.contract import Table, format_cell, format_timestamp

FORMATS = ("csv", "jsonl", "parquet", "csv.gz", "jsonl.gz")


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_timestamp(value)
    return value


class TableWriter:
    """Streams rows of one table into DIR/<table>.<format>."""

    def __init__(self, directory: Path, table: Table, fmt: str = "csv",
                 columns: list[str] | None = None):
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
        self.table = table
        self.fmt = fmt
        self.columns = columns or [c.name for c in table.columns]
        self.path = directory / f"{table.name}.{fmt}"
        directory.mkdir(parents=True, exist_ok=True)
        self._fh: IO[str] | None = None
        self._csv: Any = None
        self._parquet: Any = None
        self._buffer: list[dict[str, Any]] = []
        if fmt.startswith("csv"):
            self._fh = self._open_text()
            self._csv = csv.writer(self._fh, lineterminator="\n")
            self._csv.writerow(self.columns)
        elif fmt.startswith("jsonl"):
            self._fh = self._open_text()

    def _open_text(self) -> IO[str]:
        if self.fmt.endswith(".gz"):
            return gzip.open(self.path, "wt", encoding="utf-8", newline="")
        return open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115

    def write(self, row: dict[str, Any]) -> None:
        if self._csv is not None:
            self._csv.writerow([format_cell(row.get(c)) for c in self.columns])
        elif self._fh is not None:
            obj = {c: _json_value(row[c]) for c in self.columns if row.get(c) is not None}
            self._fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
        else:
            self._buffer.append(row)
            if len(self._buffer) >= 50_000:
                self._flush_parquet()

    def write_all(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.write(row)

    def _flush_parquet(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = {c: [_parquet_value(r.get(c)) for r in self._buffer] for c in self.columns}
        batch = pa.table({c: pa.array(v, type=pa.string()) for c, v in columns.items()})
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.path, batch.schema, compression="zstd")
        self._parquet.write_table(batch)
        self._buffer = []

    def close(self) -> None:
        if self.fmt == "parquet":
            if self._buffer or self._parquet is None:
                self._flush_parquet()
            self._parquet.close()
        elif self._fh is not None:
            self._fh.close()

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _parquet_value(value: Any) -> str | None:
    # Every column as text keeps one schema whatever the values; the loader
    # parses text exactly as it parses CSV cells.
    if value is None:
        return None
    return format_cell(value)


def write_table(directory: Path, table: Table, rows: Iterable[dict[str, Any]],
                fmt: str = "csv", columns: list[str] | None = None) -> Path:
    """Write all rows of one table; the file's path."""
    with TableWriter(directory, table, fmt, columns) as writer:
        writer.write_all(rows)
    return writer.path
