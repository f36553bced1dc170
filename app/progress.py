"""Progress of long work on a terminal: rate, share done and time left."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """One line per task, redrawn in place at most a few times a second.

    Draws only when the stream is a terminal, so pipes and `--json` output
    stay clean; `done()` prints the final line whenever `always` is set.
    """

    def __init__(self, label: str, total: float | None = None, unit: str = "rows",
                 stream: TextIO | None = None, enabled: bool | None = None):
        self.label = label
        self.total = total
        self.unit = unit
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.began = time.monotonic()
        self._drawn = 0.0
        self.count = 0

    def update(self, count: int, done_fraction: float | None = None) -> None:
        """Record `count` items so far; `done_fraction` (0-1) where the size is known."""
        self.count = count
        now = time.monotonic()
        if not self.enabled or now - self._drawn < 0.25:
            return
        self._drawn = now
        self._draw(now, done_fraction, final=False)

    def done(self, always: bool = False) -> float:
        """Finish the line; the seconds taken."""
        now = time.monotonic()
        if self.enabled or always:
            self._draw(now, 1.0, final=True)
        return now - self.began

    def say(self, text: str, final: bool = False) -> None:
        """Show text on the task's line instead of counts (a step with nothing to count)."""
        if self.enabled:
            self.stream.write(f"\r\033[K{self.label}: {text}" + ("\n" if final else ""))
            self.stream.flush()

    def _draw(self, now: float, fraction: float | None, final: bool) -> None:
        elapsed = max(now - self.began, 1e-9)
        rate = self.count / elapsed
        text = f"{self.label}: {self.count:,} {self.unit}, {rate:,.0f} {self.unit}/s"
        if final:
            text += f", {elapsed:.1f}s"
        elif fraction is not None and 0 < fraction < 1:
            left = elapsed * (1 - fraction) / fraction
            bar = "#" * int(fraction * 20)
            text += f" [{bar:<20}] {fraction:5.1%} ETA {left:,.0f}s"
        end = "\n" if final else ""
        prefix = "\r\033[K" if self.enabled else ""
        self.stream.write(prefix + text + end)
        self.stream.flush()
