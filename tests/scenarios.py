"""Batches that tell a story, for the tests of incremental detection and alerts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from app.db.graph import Graph
from app.ingest.contract import ACCOUNTS, SESSIONS
from app.synth.tables import write_table


def regrow(graph: Graph, heads: list[str], count: int, tmp_path: Path, name: str
           ) -> tuple[list[str], Path]:
    """A batch in which `heads` are banned and `count` new accounts sign up on
    their cards and replay their sessions from their addresses and devices; and
    one new benign account with sessions of its own."""
    info = graph.run_text(
        "MATCH (a:Account) WHERE a.account_id IN $ids "
        "OPTIONAL MATCH (a)-[:HAS_SESSION]->(s:Session) "
        "WITH a, s ORDER BY s.started_at "
        "RETURN a.account_id AS id, a.created_at AS created, a.payment_fingerprint AS payment, "
        "collect(s {.*, ip: s.ip, started_at: s.started_at}) AS sessions", ids=heads)
    latest = max(row["sessions"][-1]["started_at"].to_native() for row in info
                 if row["sessions"])
    ban_at = latest + timedelta(days=1)
    banned = [{"account_id": row["id"], "created_at": row["created"].to_native(),
               "payment_fingerprint": row["payment"], "status": "banned",
               "status_changed_at": ban_at} for row in info]
    regrown, sessions = [], []
    donors = [row for row in info if len(row["sessions"]) >= 3][:count]
    for i, row in enumerate(donors):
        new_id = f"{name}-head-{i}"
        regrown.append({"account_id": new_id, "created_at": ban_at + timedelta(hours=i + 1),
                        "payment_fingerprint": row["payment"]})
        for j, old in enumerate(row["sessions"][:6]):
            sessions.append({**{k: v for k, v in old.items() if k in SESSIONS.by_name},
                             "session_id": f"{new_id}-s{j}", "account_id": new_id,
                             "started_at": ban_at + timedelta(days=1, hours=j),
                             "ended_at": ban_at + timedelta(days=1, hours=j, minutes=5)})
    benign = f"{name}-benign"
    regrown.append({"account_id": benign, "created_at": ban_at, "email_domain": "gmail.com"})
    for j in range(4):
        sessions.append({"session_id": f"{benign}-s{j}", "account_id": benign,
                         "started_at": ban_at + timedelta(days=1, hours=j),
                         "ended_at": ban_at + timedelta(days=1, hours=j, minutes=9),
                         "ip": f"198.51.100.{200 + j}", "requests": 2, "model": "chat-large",
                         "prompt_category": "writing", "output_tokens": 300})
    folder = tmp_path / name
    write_table(folder, ACCOUNTS, banned + regrown)
    write_table(folder, SESSIONS, sessions)
    return [r["account_id"] for r in regrown if r["account_id"] != benign], folder
