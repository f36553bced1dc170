"""The terminal progress line: counts with a rate and ETA, and steps with nothing to count."""

from __future__ import annotations

import io

from app.progress import Progress


def test_a_step_line_is_redrawn_in_place_and_ends_with_a_newline() -> None:
    stream = io.StringIO()
    line = Progress("bulk", stream=stream, enabled=True)
    line.say("import...")
    line.say("import, 2.0s", final=True)
    assert stream.getvalue() == "\r\033[Kbulk: import...\r\033[Kbulk: import, 2.0s\n"


def test_nothing_is_drawn_when_disabled() -> None:
    stream = io.StringIO()
    line = Progress("sessions", stream=stream, enabled=False)
    line.say("import...")
    line.update(10, 0.5)
    line.done()
    assert stream.getvalue() == ""


def test_counts_show_share_done_and_time_left() -> None:
    stream = io.StringIO()
    line = Progress("sessions", stream=stream, enabled=True)
    line.began -= 10  # ten seconds in, half done
    line.update(5_000, 0.5)
    text = stream.getvalue()
    assert "sessions: 5,000 rows" in text and "50.0%" in text and "ETA 10s" in text
    line.done()
    assert stream.getvalue().endswith("s\n")
