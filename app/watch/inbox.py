"""The watched inbox on disk: which folders are batches, which are complete, and
where a batch goes when it is done or refused.

    INBOX/
      2026-12-01T10-00/        a batch: any subset of the ingest tables
        accounts.csv
        sessions.csv.gz
        READY                  optional: "complete now", without waiting to settle
      done/2026-12-01T10-00/   loaded (with REPORT.json and, if any, rejects.csv)
      failed/broken-batch/     refused whole (REJECTED.txt says why)

A folder is a batch when its name does not start with "." or "_" (copy into
".name" and rename for an atomic arrival) and it is not `done` or `failed`.
It is complete when it holds a READY file, or when nothing in it has changed
for the settle time. Batches are taken in arrival order: the oldest
modification time among a folder's files (when its first file landed), then
the name. Nothing here touches the graph.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

DONE = "done"
FAILED = "failed"
READY = "READY"
REJECTED = "REJECTED.txt"
REPORT = "REPORT.json"
REJECTS = "rejects.csv"
OWN_FILES = (READY, REJECTED, REPORT, REJECTS)
DIGEST_CHUNK = 1 << 20


@dataclass(frozen=True)
class Arrival:
    """A complete batch folder waiting in the inbox."""

    path: Path
    arrived: float  # seconds since the epoch: the oldest file's modification time

    @property
    def name(self) -> str:
        return self.path.name


def _entries(folder: Path) -> list[Path]:
    """The batch's own files under a folder (a batch is normally flat; nested files
    count too), without the READY mark and the notes the watcher writes itself."""
    return [p for p in folder.rglob("*")
            if p.is_file() and p.relative_to(folder).as_posix() not in OWN_FILES]


def _last_change(folder: Path, files: list[Path]) -> float:
    """The newest modification time of the batch's files; of the folder itself
    while it holds none (just made, its files still to come)."""
    return max((f.stat().st_mtime for f in files), default=folder.stat().st_mtime)


def is_batch_folder(path: Path) -> bool:
    return (path.is_dir() and not path.name.startswith((".", "_"))
            and path.name not in (DONE, FAILED))


def waiting(inbox: Path, settle: float, now: float | None = None) -> list[Arrival]:
    """The complete batches of the inbox, in arrival order. A folder still being
    written (no READY file, a change less than `settle` seconds ago) is left for
    a later look."""
    now = time.time() if now is None else now
    out: list[Arrival] = []
    for path in inbox.iterdir():
        if not is_batch_folder(path):
            continue
        try:
            files = _entries(path)
            ready = (path / READY).is_file()
            if not ready and now - _last_change(path, files) < settle:
                continue
            arrived = min((f.stat().st_mtime for f in files), default=path.stat().st_mtime)
        except FileNotFoundError:  # moved or removed while we looked
            continue
        out.append(Arrival(path, arrived))
    out.sort(key=lambda a: (a.arrived, a.name))
    return out


def digest(folder: Path) -> str:
    """SHA-256 over the folder's file names and contents (READY and the files the
    watcher writes itself left out): the same batch gives the same digest."""
    h = hashlib.sha256()
    for path in sorted(_entries(folder)):
        rel = path.relative_to(folder).as_posix()
        h.update(rel.encode("utf-8", "surrogateescape") + b"\0")
        with path.open("rb") as f:
            while chunk := f.read(DIGEST_CHUNK):
                h.update(chunk)
        h.update(b"\0")
    return h.hexdigest()


def move(folder: Path, to: str) -> Path:
    """Move a batch folder under INBOX/done or INBOX/failed; a name already
    taken there gets a suffix (-2, -3, ...). Where it went."""
    target_root = folder.parent / to
    target_root.mkdir(exist_ok=True)
    target = target_root / folder.name
    n = 2
    while target.exists():
        target = target_root / f"{folder.name}-{n}"
        n += 1
    os.replace(folder, target)  # under the same inbox: one rename, never half a move
    return target
