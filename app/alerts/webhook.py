"""Each new alert POSTed as JSON to `HYDRASCOPE_ALERT_WEBHOOK`, once.

An alert raised while a webhook is set is stored `pending` (app.alerts.store);
a sender thread of the watcher delivers the pending alerts that are due, in
the order they were raised, one POST each (`Idempotency-Key` is the alert
id, so a receiver can drop the rare repeat after a crash between its answer
and our record of it). A 2xx answer makes the alert `delivered`. Any other
answer or a network error is recorded (`webhook_error`, shown on the admin
page) and retried with exponential back-off, up to ATTEMPTS times; then the
alert is `failed` and stays on the admin page. Loading never waits for the
webhook: the sender has its own thread and a short timeout per POST.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from app.db.graph import Graph

ATTEMPTS = 6
FIRST_DELAY = 2.0  # seconds before the first retry; doubled after each failure
TIMEOUT = 5.0


def payload(row: dict[str, Any]) -> dict[str, Any]:
    """The JSON body for one alert."""
    return {key: row[key] for key in ("alert_id", "kind", "network_id", "accounts", "evidence",
                                      "batch", "load_id", "status", "created_at")}


def deliver_due(graph: Graph, url: str, client: httpx.Client | None = None,
                now: datetime | None = None, limit: int = 100) -> dict[str, int]:
    """One pass: POST every pending alert whose next attempt is due; how many
    were delivered, will be retried, and failed for good."""
    now = now or datetime.now(UTC)
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    own = client is None
    client = client or httpx.Client(timeout=TIMEOUT)
    try:
        for row in graph.read("alerts/webhook_due", now=now, limit=limit):
            attempts = int(row["webhook_attempts"] or 0) + 1
            error = _post(client, url, row)
            if error is None:
                graph.write("alerts/webhook_result", alert_id=row["alert_id"],
                            status="delivered", attempts=attempts, error=None,
                            next_at=None)
                counts["delivered"] += 1
                continue
            final = attempts >= ATTEMPTS
            delay = timedelta(seconds=FIRST_DELAY * 2 ** (attempts - 1))
            graph.write("alerts/webhook_result", alert_id=row["alert_id"],
                        status="failed" if final else "pending", attempts=attempts,
                        error=error, next_at=None if final else now + delay)
            counts["failed" if final else "retry"] += 1
    finally:
        if own:
            client.close()
    return counts


def _post(client: httpx.Client, url: str, row: dict[str, Any]) -> str | None:
    """None when the webhook took the alert, else what went wrong (one line)."""
    body = json.dumps(payload(row), sort_keys=True, default=str)
    try:
        answer = client.post(url, content=body, headers={
            "Content-Type": "application/json", "Idempotency-Key": row["alert_id"],
            "User-Agent": "hydrascope-alerts"})
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    if 200 <= answer.status_code < 300:
        return None
    return f"HTTP {answer.status_code}: {answer.text[:200]}"


class Sender:
    """Delivers pending alerts from a thread of its own until stopped; `wake`
    after raising alerts sends them at once instead of at the next look."""

    def __init__(self, graph: Graph, url: str, interval: float = 1.0):
        self.graph, self.url, self.interval = graph, url, interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alert-webhook", daemon=True)
        self.errors: list[str] = []

    def start(self) -> Sender:
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, drain: float = 10.0) -> None:
        """Stop after one more pass (at most `drain` seconds)."""
        self._stop.set()
        self._wake.set()
        self._thread.join(drain)

    def _run(self) -> None:
        with httpx.Client(timeout=TIMEOUT) as client:
            while True:
                try:
                    deliver_due(self.graph, self.url, client)
                except Exception as exc:  # noqa: BLE001 - the graph may be away; try later
                    self.errors.append(f"{type(exc).__name__}: {exc}")
                if self._stop.is_set():
                    return
                self._wake.wait(self.interval)
                self._wake.clear()
