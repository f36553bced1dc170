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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from neo4j.exceptions import DriverError, Neo4jError

from app.alerts import Alert, raise_banned_infrastructure
from app.db.graph import Graph
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

    def as_dict(self) -> dict[str, Any]:
        return {"batch": self.name, "status": self.status, "moved_to": self.moved_to,
                "load_id": self.load_id, "reason": self.reason, "resumed": self.resumed,
                "report": self.report, "alerts": [a.as_dict() for a in self.alerts]}


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


def process(graph: Graph, arrival: Arrival) -> BatchOutcome:
    """Load one complete batch folder (or move on one an earlier run loaded) and
    move it out of the inbox. Raises `GraphUnavailable` when the graph fails."""
    folder, name = arrival.path, arrival.name
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
        if outcome.status == "done" and outcome.load_id:
            # Again after a restart: an alert names an account for an entity once.
            latest = graph.read("detect/latest_run")
            outcome.alerts = raise_banned_infrastructure(
                graph, outcome.load_id, name, latest[0]["run"]["run_id"] if latest else None)
        _write_notes(folder, outcome)
        moved = inbox.move(folder, inbox.DONE if outcome.status == "done" else inbox.FAILED)
        outcome.moved_to = str(moved)
        graph.write("watch/batch_finished", batch_key=key, status=outcome.status,
                    moved_to=outcome.moved_to, reason=outcome.reason, **facts)
    except (DriverError, Neo4jError) as exc:
        raise GraphUnavailable(f"the graph stopped answering ({exc}); batch {name} stays "
                               "in the inbox for the next look") from exc
    return outcome


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
          once: bool = False, stop: Stop | None = None,
          on_batch: Callable[[BatchOutcome], None] = lambda outcome: None,
          on_wait: Callable[[str], None] = lambda message: None) -> list[BatchOutcome]:
    """Take the inbox's complete batches in arrival order, one at a time; with
    `once`, those there now, then return; otherwise look again every `interval`
    seconds until `stop` is set. What became of each batch, in order.

    With `once`, a graph that stops answering raises `GraphUnavailable`;
    otherwise the watcher says so (`on_wait`) and tries again at its next look.
    """
    stop = Stop() if stop is None else stop
    folder.mkdir(parents=True, exist_ok=True)
    outcomes: list[BatchOutcome] = []
    while not stop:
        try:
            for arrival in inbox.waiting(folder, settle):
                if stop:
                    break
                outcome = process(graph, arrival)
                outcomes.append(outcome)
                on_batch(outcome)
        except GraphUnavailable as exc:
            if once:
                raise
            on_wait(str(exc))
        if once:
            break
        stop.wait(interval)
    return outcomes


__all__ = ["BatchOutcome", "GraphUnavailable", "Stop", "process", "watch"]
