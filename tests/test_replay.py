"""Replaying an export as it arrived: history, then batches with accounts as they stood."""

from __future__ import annotations

import csv
from pathlib import Path

from app.synth.generator import generate
from app.synth.replay import READY, split


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_a_replay_keeps_every_session_once_in_time_order(tmp_path: Path) -> None:
    data = tmp_path / "data"
    generate(data, preset="tiny", seed=5)
    replay = split(data, tmp_path / "replay", history_share=0.6, batch_sessions=300)
    everything = rows(data / "sessions.csv")
    history = rows(replay.history / "sessions.csv")
    assert len(history) == replay.history_sessions == int(len(everything) * 0.6)
    assert max(s["started_at"] for s in history) <= replay.cut
    seen = [s["session_id"] for s in history]
    last = replay.cut
    for batch in replay.batches:
        assert (batch.path / READY).exists()
        sessions = rows(batch.path / "sessions.csv")
        assert len(sessions) == batch.sessions <= 300
        assert min(s["started_at"] for s in sessions) >= last
        last = max(s["started_at"] for s in sessions)
        seen += [s["session_id"] for s in sessions]
    assert sorted(seen) == sorted(s["session_id"] for s in everything)


def test_accounts_arrive_when_first_needed_and_bans_when_they_happen(tmp_path: Path) -> None:
    data = tmp_path / "data"
    generate(data, preset="tiny", seed=5)
    replay = split(data, tmp_path / "replay", history_share=0.5, batch_sessions=400)
    accounts = {a["account_id"]: a for a in rows(data / "accounts.csv")}
    history = {a["account_id"]: a for a in rows(replay.history / "accounts.csv")}
    assert all(a["created_at"] < replay.cut for a in history.values())
    # Banned after the cut: active in the history, banned in the batch of the ban.
    late = [a for a in history.values()
            if accounts[a["account_id"]]["status_changed_at"] > replay.cut]
    assert late, "the tiny preset bans some accounts after the cut"
    assert all(a["status"] == "active" and not a["status_changed_at"] for a in late)
    banned_in = {}
    introduced = set(history)
    for batch in replay.batches:
        batch_rows = {a["account_id"]: a for a in rows(batch.path / "accounts.csv")}
        assert set(batch_rows) == set(batch.new_accounts) | set(batch.changed_accounts)
        sessions = rows(batch.path / "sessions.csv")
        introduced |= set(batch.new_accounts)
        # Every session's account is known by the time its batch arrives.
        assert {s["account_id"] for s in sessions} <= introduced
        for account_id in batch.changed_accounts:
            banned_in[account_id] = batch
            assert batch_rows[account_id]["status"] == accounts[account_id]["status"]
            assert batch.start <= accounts[account_id]["status_changed_at"] or \
                batch is replay.batches[0]
    assert {a["account_id"] for a in late} <= set(banned_in)
