"""The watched inbox with incremental detection, against the real Neo4j: a batch
of new heads raises `new_head` (and no alert names a new benign account), the
webhook receives each alert once, and a failing webhook holds nothing up."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from app.alerts import list_alerts
from app.alerts.webhook import deliver_due
from app.db.graph import Graph
from app.detect.run import latest_assignments, run_detection
from app.ingest import load_directory
from app.synth.generator import generate
from app.watch import watch
from tests.scenarios import regrow


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("watch-detect") / "data"
    generate(out, accounts=1500, seed=21)
    return out


class Receiver:
    """A local webhook: records each POST; answers `status`."""

    def __init__(self, status: int = 200):
        self.status = status
        self.posts: list[dict[str, Any]] = []
        self.keys: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append(json.loads(body))
                receiver.keys.append(self.headers["Idempotency-Key"])
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"no thanks" if receiver.status >= 300 else b"ok")

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


def with_webhook(graph: Graph, url: str) -> Graph:
    return Graph(graph.driver, graph.settings.model_copy(update={"alert_webhook": url}))


def history(graph: Graph, dataset: Path, tmp_path: Path) -> tuple[str, list[str]]:
    load_directory(graph, dataset, tmp_path / "rejects.csv", progress=False)
    run_detection(graph)
    flagged = {r["account_id"]: r["network"] for r in latest_assignments(graph) if r["network"]}
    network = max(set(flagged.values()), key=lambda n: sum(v == n for v in flagged.values()))
    return network, sorted(a for a, n in flagged.items() if n == network)


def heads_in_inbox(graph: Graph, dataset: Path, tmp_path: Path, count: int,
                   name: str) -> tuple[str, list[str], list[str], Path]:
    """The history detected, then `count` new heads of its network in a ready
    batch folder `0001-NAME` of a new inbox: the network, its members, the
    heads, the inbox."""
    network, members = history(graph, dataset, tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    heads, folder = regrow(graph, members, count, tmp_path, name)
    folder.rename(inbox / f"0001-{name}")
    (inbox / f"0001-{name}" / "READY").touch()
    return network, members, heads, inbox


def test_a_batch_of_new_heads_raises_new_head_and_the_webhook_gets_each_alert_once(
        graph: Graph, dataset: Path, tmp_path: Path, receiver: Receiver) -> None:
    network, members, heads, inbox = heads_in_inbox(graph, dataset, tmp_path, 5, "heads")
    hooked = with_webhook(graph, receiver.url)
    [outcome] = watch(hooked, inbox, settle=60, once=True)
    assert outcome.status == "done"
    assert outcome.detection["status"] == "complete"
    assert outcome.detection["attached"] >= len(heads)
    assert {"load", "detect", "alerts", "to_alerts"} <= set(outcome.timings)
    by_kind: dict[str, list[Any]] = {}
    for alert in outcome.alerts:
        by_kind.setdefault(alert.kind, []).append(alert)
    [head_alert] = by_kind["new_head"]
    assert head_alert.network_id == network and head_alert.accounts == sorted(heads)
    assert head_alert.batch == "0001-heads" and head_alert.load_id == outcome.load_id
    assert "were banned" in head_alert.evidence[0] and network in head_alert.evidence[0]
    # The heads reuse banned members' cards: banned_infrastructure names them too.
    assert by_kind["banned_infrastructure"]
    # No alert names the new benign account.
    assert all("heads-benign" not in a.accounts for a in outcome.alerts)
    # Grown by more than 10% since the full run? Then one growth alert.
    if len(heads) > 0.1 * len(members):
        [growth] = by_kind["network_growth"]
        assert growth.network_id == network
    # The watcher stops its sender after a last pass: every alert delivered, once.
    raised = {a.alert_id for a in outcome.alerts}
    assert sorted(receiver.keys) == sorted(raised)
    assert {p["alert_id"]: p["kind"] for p in receiver.posts} == {
        a.alert_id: a.kind for a in outcome.alerts}
    stored = {row["alert_id"]: (row["kind"], row["network_id"]) for row in list_alerts(graph)}
    assert stored == {a.alert_id: (a.kind, a.network_id) for a in outcome.alerts}
    states = graph.run_text("MATCH (al:Alert) RETURN al.webhook AS w, count(*) AS n")
    assert {r["w"]: r["n"] for r in states} == {"delivered": len(raised)}
    # Nothing is sent twice: another pass finds nothing due.
    assert deliver_due(hooked, receiver.url) == {"delivered": 0, "retry": 0, "failed": 0}
    assert len(receiver.posts) == len(raised)
    # Export reflects the attachment.
    assigned = {r["account_id"]: r["network"] for r in latest_assignments(graph)}
    assert {assigned[h] for h in heads} == {network}
    assert assigned["heads-benign"] is None


def test_a_failing_webhook_does_not_stop_loading(graph: Graph, dataset: Path,
                                                 tmp_path: Path) -> None:
    _network, members = history(graph, dataset, tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    failing = Receiver(status=503)
    try:
        for i, name in enumerate(("first", "second")):
            _heads, folder = regrow(graph, members[i * 5:], 2, tmp_path, name)
            folder.rename(inbox / f"000{i}-{name}")
            (inbox / f"000{i}-{name}" / "READY").touch()
        hooked = with_webhook(graph, failing.url)
        outcomes = watch(hooked, inbox, settle=60, once=True)
    finally:
        failing.close()
    assert [o.status for o in outcomes] == ["done", "done"]
    assert all(o.alerts for o in outcomes)
    assert failing.posts, "the webhook was tried"
    rows = graph.run_text("MATCH (al:Alert) RETURN al.webhook AS w, al.webhook_error AS e, "
                          "al.webhook_attempts AS n, al.webhook_next_at AS next")
    assert {r["w"] for r in rows} == {"pending"}
    tried = [r for r in rows if r["n"]]
    assert tried and all("HTTP 503" in r["e"] and r["next"] is not None for r in tried)
    # Unreachable: recorded as such, and retried later, not now.
    nowhere = "http://127.0.0.1:9/hook"
    counts = deliver_due(with_webhook(graph, nowhere), nowhere)
    assert counts["delivered"] == 0
    assert len(graph.run_text("MATCH (al:Alert {webhook: 'delivered'}) RETURN al")) == 0


def test_full_every_makes_a_full_run_when_the_last_is_too_old(graph: Graph, dataset: Path,
                                                              tmp_path: Path) -> None:
    network, _members, heads, inbox = heads_in_inbox(graph, dataset, tmp_path, 3, "later")
    full_runs = []
    # A day is not over yet: only the incremental run.
    [outcome] = watch(graph, inbox, settle=60, once=True, full_every=24,
                      on_full=full_runs.append)
    assert outcome.detection["status"] == "complete" and full_runs == []
    # The latest full run two hours old: a full run at the next look, which keeps
    # the network's id.
    graph.run_text("MATCH (r:DetectionRun {kind: 'full'}) "
                   "SET r.finished_at = r.finished_at - duration({hours: 2})")
    watch(graph, inbox, settle=60, once=True, full_every=1, on_full=full_runs.append)
    [result] = full_runs
    latest = graph.read("detect/latest_run")[0]["run"]
    assert latest["run_id"] == result.run_id and latest["kind"] == "full"
    assigned = {r["account_id"]: r["network"] for r in latest_assignments(graph)}
    assert {assigned[h] for h in heads} == {network}
