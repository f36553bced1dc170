"""Sign-in throttling, counted from the audit trail (so it holds across app
processes and restarts): too many failures for one user name since its last
success, or from one client address, and sign-in is refused for a while.

Unknown names are throttled exactly like real ones, so the answer tells
nothing about which names exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.db.graph import Graph

WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_SOURCE = 20


@dataclass(frozen=True)
class Throttle:
    by_user: int
    by_source: int

    @property
    def blocked(self) -> bool:
        return self.by_user >= MAX_FAILURES_PER_USER or self.by_source >= MAX_FAILURES_PER_SOURCE


def sign_in_throttle(graph: Graph, username: str, source: str) -> Throttle:
    row = graph.read("audit/recent_failures", username=username, source=source,
                     window_seconds=WINDOW_SECONDS)[0]
    return Throttle(int(row["by_user"]), int(row["by_source"]))
