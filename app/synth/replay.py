"""Replay a provider export as it arrived: a history, then batches in time order.

A generated data set (or any CSV export in the ingest contract) is cut at a
moment: what happened before it is the history, loaded and detected first;
what happened after is cut into batches of about `batch_sessions` sessions
each, in the order the sessions started, as the watched inbox would receive
them. Each batch carries the account rows as they stood then: the accounts
created in its window, and the accounts whose status changed in it (a ban
appears in the batch in which it happened; before, the account is active).
Sessions of accounts the graph already holds come without account rows, as
the ingest contract allows for a batch.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.ingest.contract import ACCOUNTS, IP_INTEL, SESSIONS

READY = "READY"


@dataclass
class Batch:
    name: str
    path: Path
    sessions: int
    accounts: int
    start: str
    end: str
    # accounts first seen in this batch, and accounts whose status changed in it
    new_accounts: list[str] = field(default_factory=list)
    changed_accounts: list[str] = field(default_factory=list)


@dataclass
class Replay:
    history: Path
    history_sessions: int
    batches: list[Batch]
    cut: str


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def _write(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, columns, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _as_then(account: dict[str, str], moment: str) -> dict[str, str]:
    """The account row as it stood at `moment` (ISO time): before its status
    changed, active."""
    changed = account.get("status_changed_at") or ""
    if changed and changed > moment:
        return {**account, "status": "active", "status_changed_at": ""}
    return account


def split(source: Path, out: Path, *, history_share: float = 0.8,
          batch_sessions: int = 10_000, max_batches: int | None = None) -> Replay:
    """Write `out/history` (the first `history_share` of the sessions in time
    order, with the accounts as they stood at the cut and every address's
    intel) and `out/batches/NNNN` (the rest, `batch_sessions` at a time, each
    with a READY file); CSV tables of the ingest contract."""
    sessions = sorted(_rows(source / f"{SESSIONS.name}.csv"), key=lambda r: r["started_at"])
    if not sessions:
        raise ValueError(f"{source}: no sessions to replay")
    accounts = list(_rows(source / f"{ACCOUNTS.name}.csv"))
    session_columns = list(sessions[0].keys())
    account_columns = list(accounts[0].keys()) if accounts else [c.name for c in ACCOUNTS.columns]
    cut_index = min(max(int(len(sessions) * history_share), 1), len(sessions) - 1)
    cut = sessions[cut_index]["started_at"]
    history = sessions[:cut_index]
    rest = sessions[cut_index:]
    # Accounts in the history: created before the cut (as they stood then).
    before = [_as_then(a, cut) for a in accounts if a["created_at"] < cut]
    known = {a["account_id"] for a in before}
    _write(out / "history" / "accounts.csv", account_columns, before)
    _write(out / "history" / "sessions.csv", session_columns, history)
    intel = source / f"{IP_INTEL.name}.csv"
    if intel.exists():
        addresses = list(_rows(intel))
        if addresses:
            _write(out / "history" / "ip_intel.csv", list(addresses[0].keys()), addresses)
    batches: list[Batch] = []
    by_id = {a["account_id"]: a for a in accounts}
    changes = sorted((a["status_changed_at"], a["account_id"]) for a in accounts
                     if a.get("status_changed_at") and a["status_changed_at"] >= cut)
    pending = 0
    for number, start in enumerate(range(0, len(rest), batch_sessions), start=1):
        if max_batches is not None and number > max_batches:
            break
        chunk = rest[start:start + batch_sessions]
        first, last = chunk[0]["started_at"], chunk[-1]["started_at"]
        end = rest[start + batch_sessions]["started_at"] if start + batch_sessions < len(rest) \
            else "9999"
        rows: dict[str, dict[str, str]] = {}
        new: list[str] = []
        changed: list[str] = []
        # New accounts: those this batch's sessions need (created before they start).
        for s in chunk:
            account_id = s["account_id"]
            if account_id not in known and account_id in by_id:
                rows[account_id] = _as_then(by_id[account_id], end)
                known.add(account_id)
                new.append(account_id)
        # Status changes (bans) that happened in this batch's window.
        while pending < len(changes) and changes[pending][0] < end:
            account_id = changes[pending][1]
            pending += 1
            if account_id in known:
                rows[account_id] = by_id[account_id]
                changed.append(account_id)
        name = f"{number:04d}"
        path = out / "batches" / name
        _write(path / "accounts.csv", account_columns, list(rows.values()))
        _write(path / "sessions.csv", session_columns, chunk)
        (path / READY).touch()
        batches.append(Batch(name, path, len(chunk), len(rows), first, last, new, changed))
    return Replay(out / "history", len(history), batches, cut)
