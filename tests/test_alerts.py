"""Alerts raised by batches of the watched inbox, against the real Neo4j, and the
`hydrascope alerts` commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.alerts import ADDRESS_ACCOUNTS, AlertError, list_alerts, set_status
from app.db.graph import Graph
from app.ingest.contract import ACCOUNTS, SESSIONS
from app.synth.tables import write_table
from app.watch import watch
from tests.conftest import run_cli


def account(account_id: str, status: str = "active") -> dict[str, Any]:
    return {"account_id": account_id, "created_at": "2026-01-01T00:00:00Z", "status": status}


def session(session_id: str, account_id: str, ip: str, device: str | None = None,
            day: int = 1) -> dict[str, Any]:
    return {"session_id": session_id, "account_id": account_id,
            "started_at": f"2026-03-{day:02d}T10:00:00Z", "ip": ip,
            "device_fingerprint": device, "requests": 3, "model": "m"}


def batch(inbox: Path, name: str, accounts: list[dict[str, Any]],
          sessions: list[dict[str, Any]]) -> None:
    folder = inbox / name
    if accounts:
        write_table(folder, ACCOUNTS, accounts)
    if sessions:
        write_table(folder, SESSIONS, sessions)
    (folder / "READY").touch()


def test_a_new_account_on_a_banned_accounts_device_raises_one_alert(
        graph: Graph, tmp_path: Path, server_env: dict[str, str]) -> None:
    inbox = tmp_path / "inbox"
    batch(inbox, "1-history", [account("banned-1", "banned"), account("old-1")],
          [session("h1", "banned-1", "203.0.113.7", "fp-shared"),
           session("h2", "old-1", "198.51.100.1", "fp-old")])
    [first] = watch(graph, inbox, settle=60, once=True)
    assert first.alerts == []  # the banned account itself is no alert
    batch(inbox, "2-new", [account("new-head"), account("new-benign")],
          [session("n1", "new-head", "192.0.2.50", "fp-shared", day=2),
           session("n2", "new-benign", "192.0.2.51", "fp-own", day=2)])
    [second] = watch(graph, inbox, settle=60, once=True)
    [alert] = second.alerts
    assert alert.kind == "banned_infrastructure" and alert.accounts == ["new-head"]
    assert alert.batch == "2-new" and alert.load_id == second.load_id
    assert "device fp-shared" in alert.evidence[0] and "banned-1" in alert.evidence[0]
    assert alert.network_id is None  # no detection run yet
    # More sessions of the same head on the same device: already named, no new alert.
    batch(inbox, "3-more", [], [session("n3", "new-head", "192.0.2.50", "fp-shared", day=3)])
    [third] = watch(graph, inbox, settle=60, once=True)
    assert third.alerts == []

    listed = run_cli("alerts", "list", "--json", env=server_env)
    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    assert {k: row[k] for k in ("alert_id", "kind", "network_id", "accounts", "status",
                                "batch")} == {
        "alert_id": alert.alert_id, "kind": "banned_infrastructure", "network_id": None,
        "accounts": ["new-head"], "status": "open", "batch": "2-new"}
    assert row["created_at"]
    ack = run_cli("alerts", "ack", alert.alert_id, "--by", "ines", env=server_env)
    assert ack.returncode == 0, ack.stderr
    assert "open -> acknowledged" in ack.stdout
    assert list_alerts(graph, status="open") == []
    [acked] = list_alerts(graph, status="acknowledged")
    assert acked["status_changed_by"] == "ines" and acked["status_changed_at"]
    missing = run_cli("alerts", "ack", "al-nope", env=server_env)
    assert missing.returncode == 1 and "no alert 'al-nope'" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_an_address_many_strangers_share_with_a_banned_account_raises_nothing(
        graph: Graph, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    crowd = [account(f"user-{i}") for i in range(ADDRESS_ACCOUNTS)]
    batch(inbox, "1-history", [account("banned-1", "banned"), *crowd],
          [session("h0", "banned-1", "100.64.0.1"),
           *(session(f"h{i + 1}", a["account_id"], "100.64.0.1") for i, a in enumerate(crowd))])
    watch(graph, inbox, settle=60, once=True)
    batch(inbox, "2-new", [account("newcomer")], [session("n1", "newcomer", "100.64.0.1", day=2)])
    [outcome] = watch(graph, inbox, settle=60, once=True)
    assert outcome.alerts == []  # a carrier NAT's exit is no evidence
    # The same newcomer on a banned account's own, rarely shared address is.
    batch(inbox, "3-rare", [account("banned-2", "banned"), account("head-2")],
          [session("r1", "banned-2", "203.0.113.9", day=3),
           session("r2", "head-2", "203.0.113.9", day=3)])
    [rare] = watch(graph, inbox, settle=60, once=True)
    assert [a.accounts for a in rare.alerts] == [["head-2"]]
    assert "address 203.0.113.9" in rare.alerts[0].evidence[0]


def test_an_unknown_status_is_refused(graph: Graph) -> None:
    with pytest.raises(AlertError, match="unknown status 'done'"):
        list_alerts(graph, status="done")
    with pytest.raises(AlertError, match="no alert"):
        set_status(graph, "al-missing", "closed", "ines")
