"""The watched inbox: each complete batch folder is loaded once, in arrival order.

A batch goes through these states, recorded in the graph (`InboxBatch`, by
folder name and content digest) before the step that follows them:

    loading  ->  loaded  ->  done      (alerts raised, the folder moved to INBOX/done/)
                         \\->  failed    (INBOX/failed/, REJECTED.txt says why)

A restart reads the state: a batch that was `loading` is loaded again (the
loader's rerun adds nothing twice and completes what the first try began), a
`loaded` one is not loaded again, only moved on. A batch whose files cannot be
read as the contract says (a wrong header, an unreadable or empty folder) is
refused whole; bad rows of a readable batch go to its rejects file and the
rest loads. When the graph stops answering, the watcher stops taking batches
(so none is skipped) and tries again at its next look.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from neo4j.exceptions import DriverError, Neo4jError

from app.alerts import Alert, raise_banned_infrastructure
from app.alerts.detection import raise_detection_alerts
from app.alerts.webhook import Sender
from app.db.graph import Graph
from app.detect.incremental import run_incremental
from app.detect.run import DetectError, DetectResult, run_detection
from app.errors import GraphUnavailable
from app.ingest import LoadError, load_directory
from app.ingest.readers import InputError
from app.watch import inbox
from app.watch.inbox import Arrival


@dataclass
class BatchOutcome:
    """What became of one batch: `done` or `failed`, where its folder went, why."""

    name: str
    status: str
    moved_to: str
    load_id: str | None = None
    reason: str | None = None
    report: dict[str, Any] = field(default_factory=dict)
    resumed: bool = False  # loaded by an earlier run that stopped before moving it
    alerts: list[Alert] = field(default_factory=list)
    # the incremental detection run after the load (or why there was none)
    detection: dict[str, Any] = field(default_factory=dict)
    # seconds: load, detect, alerts; and from the batch's arrival to its alerts
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"batch": self.name, "status": self.status, "moved_to": self.moved_to,
                "load_id": self.load_id, "reason": self.reason, "resumed": self.resumed,
                "report": self.report, "alerts": [a.as_dict() for a in self.alerts],
                "detection": self.detection, "timings": self.timings}


class Stop:
    """Set by SIGTERM or Ctrl-C: the current batch finishes, then the watcher
    exits. A second signal stops at once."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def __bool__(self) -> bool:
        return self.event.is_set()

    def wait(self, seconds: float) -> bool:
        return self.event.wait(seconds)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        self.event.set()

    @contextmanager
    def on_signals(self) -> Iterator[Stop]:
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {s: signal.signal(s, self._handle) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield self
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)


def _batch_key(name: str, digest: str) -> str:
    return f"{name}:{digest}"


def process(graph: Graph, arrival: Arrival, detect: bool = True) -> BatchOutcome:
    """Load one complete batch folder (or move on one an earlier run loaded),
    raise its alerts (with an incremental detection run when `detect`) and move
    it out of the inbox. Raises `GraphUnavailable` when the graph fails."""
    folder, name = arrival.path, arrival.name
    began = time.monotonic()
    waited = round(time.time() - arrival.arrived, 3)
    digest = inbox.digest(folder)
    facts = {"name": name, "digest": digest, "inbox": str(folder.parent.resolve()),
             "arrived_at": datetime.fromtimestamp(arrival.arrived, UTC)}
    key = _batch_key(name, digest)
    try:
        state = graph.read("watch/batch_state", batch_key=key)
        if state and state[0]["status"] == "loaded":
            report = json.loads(state[0]["report"] or "{}")
            outcome = BatchOutcome(name, "done", "", load_id=state[0]["load_id"], report=report,
                                   resumed=True)
        else:
            graph.write("watch/batch_taken", batch_key=key, **facts)
            outcome = _load(graph, folder, name, key)
        outcome.timings.update(waited=waited, load=round(time.monotonic() - began, 3))
        if outcome.status == "done" and outcome.load_id:
            # Again after a restart: an alert names an account for an entity once.
            began = time.monotonic()
            latest = graph.read("detect/latest_run")
            outcome.alerts = raise_banned_infrastructure(
                graph, outcome.load_id, name, latest[0]["run"]["run_id"] if latest else None)
            outcome.timings["banned_alerts"] = round(time.monotonic() - began, 3)
            if detect:
                _detect(graph, outcome)
            outcome.timings["to_alerts"] = round(time.time() - arrival.arrived, 3)
        _write_notes(folder, outcome)
        moved = inbox.move(folder, inbox.DONE if outcome.status == "done" else inbox.FAILED)
        outcome.moved_to = str(moved)
        graph.write("watch/batch_finished", batch_key=key, status=outcome.status,
                    moved_to=outcome.moved_to, reason=outcome.reason, **facts)
    except (DriverError, Neo4jError) as exc:
        raise GraphUnavailable(f"the graph stopped answering ({exc}); batch {name} stays "
                               "in the inbox for the next look") from exc
    return outcome


def _detect(graph: Graph, outcome: BatchOutcome) -> None:
    """The incremental detection run after a batch, and its alerts. A graph
    without a full run to build on loads all the same (detection waits)."""
    began = time.monotonic()
    try:
        result = run_incremental(graph)
    except DetectError as exc:
        outcome.detection = {"status": "skipped", "reason": str(exc)}
        return
    outcome.timings["detect"] = round(time.monotonic() - began, 3)
    outcome.detection = {"status": result.status, "run_id": result.run_id,
                         "parent": result.parent, "changed": result.changed,
                         "attached": result.attached,
                         "new_networks": len(result.new_networks),
                         "timings": result.timings, "read": result.read}
    began = time.monotonic()
    outcome.alerts += raise_detection_alerts(graph, result, outcome.name, outcome.load_id)
    outcome.timings["alerts"] = round(time.monotonic() - began, 3)


def _load(graph: Graph, folder: Path, name: str, key: str) -> BatchOutcome:
    try:
        report = load_directory(graph, folder, folder / inbox.REJECTS, progress=False,
                                partial=True)
    except InputError as exc:
        return BatchOutcome(name, "failed", "", reason=str(exc))
    except LoadError as exc:
        if isinstance(exc.__cause__, DriverError | Neo4jError):
            raise exc.__cause__ from exc
        # A file that breaks off part way (a cut gzip stream): what was read
        # before it is loaded; the folder is refused so a person looks at it.
        return BatchOutcome(name, "failed", "", reason=str(exc.__cause__ or exc))
    as_dict = report.as_dict()
    graph.write("watch/batch_loaded", batch_key=key, load_id=report.load_id,
                report=json.dumps(as_dict, sort_keys=True))
    return BatchOutcome(name, "done", "", load_id=report.load_id, report=as_dict)


def _write_notes(folder: Path, outcome: BatchOutcome) -> None:
    """REPORT.json in a loaded folder; REJECTED.txt, with the reason, in a refused one."""
    if outcome.status == "done":
        (folder / inbox.REPORT).write_text(json.dumps(outcome.report, indent=2, sort_keys=True)
                                           + "\n", encoding="utf-8")
    else:
        (folder / inbox.REJECTED).write_text(
            f"This batch was not loaded: {outcome.reason}\n"
            "Fix the files and copy the folder into the inbox again.\n", encoding="utf-8")


def watch(graph: Graph, folder: Path, *, interval: float = 5.0, settle: float = 30.0,
          once: bool = False, stop: Stop | None = None, detect: bool = True,
          full_every: float | None = None,
          on_batch: Callable[[BatchOutcome], None] = lambda outcome: None,
          on_wait: Callable[[str], None] = lambda message: None,
          on_full: Callable[[DetectResult], None] = lambda result: None
          ) -> list[BatchOutcome]:
    """Take the inbox's complete batches in arrival order, one at a time; with
    `once`, those there now, then return; otherwise look again every `interval`
    seconds until `stop` is set. What became of each batch, in order.

    After each batch an incremental detection run attaches its accounts (unless
    not `detect`); with `full_every` (hours), a full detection run is made
    whenever the latest one is older than that. New alerts go to the webhook
    when one is set (its own thread: a slow or failing webhook never holds up
    a load).

    With `once`, a graph that stops answering raises `GraphUnavailable`;
    otherwise the watcher says so (`on_wait`) and tries again at its next look.
    """
    stop = Stop() if stop is None else stop
    folder.mkdir(parents=True, exist_ok=True)
    outcomes: list[BatchOutcome] = []
    url = graph.settings.alert_webhook
    sender = Sender(graph, url).start() if url else None
    try:
        while not stop:
            try:
                for arrival in inbox.waiting(folder, settle):
                    if stop:
                        break
                    outcome = process(graph, arrival, detect=detect)
                    outcomes.append(outcome)
                    if sender is not None and outcome.alerts:
                        sender.wake()
                    on_batch(outcome)
                if full_every is not None and not stop and _full_run_due(graph, full_every):
                    on_full(run_detection(graph))
            except GraphUnavailable as exc:
                if once:
                    raise
                on_wait(str(exc))
            except (DriverError, Neo4jError) as exc:
                if once:
                    raise GraphUnavailable(f"the graph stopped answering ({exc})") from exc
                on_wait(f"the graph stopped answering ({exc})")
            if once:
                break
            stop.wait(interval)
    finally:
        if sender is not None:
            sender.stop()
    return outcomes


def _full_run_due(graph: Graph, hours: float) -> bool:
    """Whether the latest full detection run finished more than `hours` ago (or
    there is none while the graph holds accounts)."""
    rows = graph.read("detect/latest_full_run")
    if not rows:
        return bool(graph.read("detect/any_account"))
    age = datetime.now(UTC) - rows[0]["finished_at"].to_native()
    return age.total_seconds() >= hours * 3600


__all__ = ["BatchOutcome", "GraphUnavailable", "Stop", "process", "watch"]
