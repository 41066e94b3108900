"""Typing rhythm: how long an automatic request waits before it asks the model.

A fixed debounce shorter than the user's keystroke interval filters nothing: at 15 characters a
second (67 ms apart) a 75 ms debounce lets roughly one keystroke in four start a generation that
the next keystroke cancels.  So the wait adapts: twice the median of the recent intervals
between keystrokes on the document (only intervals within a burst of typing count), never less
than the configured debounce and never more than ``MAX_FACTOR`` times it.  Pure and clock-free:
the caller passes the times.
"""

from __future__ import annotations

import statistics
from collections import deque

WINDOW = 8  # recent intervals considered
BURST_S = 1.0  # a longer gap ends a burst of typing (and is not an interval of it)
MULTIPLIER = 2.0
MAX_FACTOR = 4.0


class TypingRhythm:
    def __init__(self) -> None:
        self._last: dict[str, float] = {}
        self._intervals: dict[str, deque[float]] = {}

    def keystroke(self, uri: str, now: float) -> None:
        """Note an automatic request (a keystroke) on ``uri`` at time ``now`` (seconds)."""
        last = self._last.get(uri)
        self._last[uri] = now
        if last is None:
            return
        gap = now - last
        intervals = self._intervals.setdefault(uri, deque(maxlen=WINDOW))
        if 0 <= gap <= BURST_S:
            intervals.append(gap)
        else:
            intervals.clear()

    def debounce_s(self, uri: str, base_s: float) -> float:
        """How long to wait: ``base_s`` at least, longer while the user types fast."""
        intervals = self._intervals.get(uri)
        if not intervals or len(intervals) < 3 or base_s <= 0:
            return base_s
        return min(base_s * MAX_FACTOR, max(base_s, MULTIPLIER * statistics.median(intervals)))

    def forget(self, uri: str) -> None:
        self._last.pop(uri, None)
        self._intervals.pop(uri, None)
