"""Find the tables of a load directory and stream their rows, with line numbers.

Readers never hold a whole file: CSV and JSON Lines are read line by line
(through gzip where the name says so), Parquet batch by batch.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from app.errors import HydrascopeError
from app.ingest.contract import TABLES, Table

EXTENSIONS = {
    ".csv": ("csv", False), ".csv.gz": ("csv", True),
    ".jsonl": ("jsonl", False), ".jsonl.gz": ("jsonl", True),
    ".parquet": ("parquet", False),
}


class InputError(HydrascopeError):
    """A load directory or file that cannot be read as the contract says."""


@dataclass(frozen=True)
class SourceFile:
    table: Table
    path: Path
    encoding: str
    compressed: bool


@dataclass
class RawRow:
    line: int
    values: dict[str, Any]
    source: Any  # the cells or the line it came from, turned into text only for a reject
    problem: str | None = None  # set when the row could not even be split into cells

    @property
    def raw(self) -> str:
        """The row as text, for the rejects file."""
        if isinstance(self.source, list):
            return _csv_text(self.source)
        if isinstance(self.source, dict):
            return json.dumps(self.source, default=str, ensure_ascii=False)
        return str(self.source)


def find_tables(directory: Path, partial: bool = False) -> dict[str, SourceFile]:
    """The file of each table in a load directory; errors for missing or ambiguous ones.

    With `partial` (a batch of the watched inbox), any non-empty subset of the
    tables will do: sessions of accounts already in the graph need no account rows.
    """
    if not directory.is_dir():
        raise InputError(f"{directory} is not a directory")
    found: dict[str, SourceFile] = {}
    for table in TABLES:
        candidates = [(directory / f"{table.name}{ext}", enc)
                      for ext, enc in EXTENSIONS.items()
                      if (directory / f"{table.name}{ext}").is_file()]
        if len(candidates) > 1:
            names = ", ".join(p.name for p, _ in candidates)
            raise InputError(f"{directory}: more than one file for table {table.name} ({names})")
        if not candidates:
            if table.required_file and not partial:
                allowed = ", ".join(f"{table.name}{ext}" for ext in EXTENSIONS)
                raise InputError(f"{directory}: required table {table.name} is missing "
                                 f"(expected one of {allowed})")
            continue
        path, (encoding, compressed) = candidates[0]
        found[table.name] = SourceFile(table, path, encoding, compressed)
    if not found:
        names = ", ".join(t.name for t in TABLES)
        raise InputError(f"{directory}: holds no table of the ingest contract ({names}, "
                         f"as {' or '.join(EXTENSIONS)})")
    return found


class TableReader:
    """Rows of one file, plus what a progress bar needs (bytes read of the file)."""

    def __init__(self, source: SourceFile):
        self.source = source
        self.path = source.path
        self.total_bytes = source.path.stat().st_size
        self.total_rows: int | None = None
        self.ignored_columns: set[str] = set()
        self._raw: IO[bytes] | None = None
        self._parquet: Any = None
        self._header: list[str] = []
        try:
            self._open()
        except InputError:
            self.close()
            raise
        except (OSError, EOFError, UnicodeDecodeError, ValueError) as exc:
            self.close()
            raise InputError(f"{self.path}: cannot be read: {exc}") from None

    # -- opening and header checks -----------------------------------------

    def _open(self) -> None:
        if self.source.encoding == "parquet":
            import pyarrow.parquet as pq

            self._parquet = pq.ParquetFile(self.path)
            self.total_rows = self._parquet.metadata.num_rows
            self._check_header(list(self._parquet.schema_arrow.names))
            return
        self._raw = open(self.path, "rb")  # noqa: SIM115 - closed by close()
        if self.source.compressed:
            # Read the first bytes now so a file that is not gzip fails here.
            unzipped = gzip.GzipFile(fileobj=self._raw)
            unzipped.peek(1)
            stream: IO[bytes] = unzipped  # type: ignore[assignment]
        else:
            stream = self._raw
        # surrogateescape keeps going past a bad byte; the row holding it is
        # rejected, the rest of the file loads.
        self._text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape",
                                      newline="")
        if self.source.encoding == "csv":
            self._csv = csv.reader(self._text, strict=True)
            try:
                header = next(self._csv)
            except StopIteration:
                raise InputError(f"{self.path}: the file is empty (no header row)") from None
            except csv.Error as exc:
                raise InputError(f"{self.path}: the header row cannot be read: {exc}") from None
            self._header = [h.strip() for h in header]
            if len(set(self._header)) != len(self._header):
                raise InputError(f"{self.path}: the header names a column twice")
            self._check_header(self._header)

    def _check_header(self, names: list[str]) -> None:
        table = self.source.table
        missing = [c for c in table.required_columns if c not in names]
        if missing:
            raise InputError(
                f"{self.path}: wrong header: required column(s) {', '.join(missing)} missing "
                f"(found: {', '.join(names) or 'nothing'})"
            )
        self.ignored_columns.update(n for n in names if n not in table.by_name)

    # -- rows ----------------------------------------------------------------

    def rows(self) -> Iterator[RawRow]:
        try:
            if self.source.encoding == "csv":
                yield from self._csv_rows()
            elif self.source.encoding == "jsonl":
                yield from self._jsonl_rows()
            else:
                yield from self._parquet_rows()
        except (OSError, EOFError) as exc:
            raise InputError(f"{self.path}: reading stopped: {exc}") from None

    def _csv_rows(self) -> Iterator[RawRow]:
        header = self._header
        reader = self._csv
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield RawRow(start, {}, "", problem=f"cannot be split into cells: {exc}")
                continue
            if not cells or cells == [""]:
                continue  # a blank line
            if len(cells) != len(header):
                yield RawRow(start, {}, cells, problem=(
                    f"has {len(cells)} cells but the header has {len(header)}"))
                continue
            row = RawRow(start, dict(zip(header, cells, strict=True)), cells)
            if not _is_clean_text(cells):
                row.problem = "is not valid UTF-8"
            yield row

    def _jsonl_rows(self) -> Iterator[RawRow]:
        known = self.source.table.by_name
        for number, line in enumerate(self._text, start=1):
            text = line.rstrip("\r\n")
            if not text.strip():
                continue
            if not _is_clean_text([text]):
                yield RawRow(number, {}, text, problem="is not valid UTF-8")
                continue
            try:
                values = json.loads(text)
            except json.JSONDecodeError as exc:
                yield RawRow(number, {}, text, problem=f"is not valid JSON ({exc.msg})")
                continue
            if not isinstance(values, dict):
                yield RawRow(number, {}, text, problem="is not a JSON object")
                continue
            self.ignored_columns.update(k for k in values if k not in known)
            yield RawRow(number, values, text)

    def _parquet_rows(self) -> Iterator[RawRow]:
        wanted = [n for n in self._parquet.schema_arrow.names if n in self.source.table.by_name]
        number = 0
        for batch in self._parquet.iter_batches(batch_size=8192, columns=wanted):
            for values in batch.to_pylist():
                number += 1
                yield RawRow(number, values, values)

    # -- progress and closing -------------------------------------------------

    def bytes_read(self) -> int | None:
        if self._raw is None or self._raw.closed:
            return None
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        if self._raw is not None and not self._raw.closed:
            self._raw.close()

    def __enter__(self) -> TableReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _csv_text(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(
        [c.encode("utf-8", "surrogateescape").decode("utf-8", "replace") for c in cells]
    )
    return out.getvalue()


def _is_clean_text(cells: list[str]) -> bool:
    """False when a cell holds bytes that were not UTF-8 (kept as lone surrogates)."""
    if "".join(cells).isascii():
        return True  # the common case, one check
    for cell in cells:
        if not cell.isascii():
            try:
                cell.encode("utf-8")
            except UnicodeEncodeError:
                return False
    return True
