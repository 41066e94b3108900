"""The typing rhythm behind the adaptive debounce (ghostls/completion/rhythm.py), and the server
waiting longer while keystrokes come fast."""

from __future__ import annotations

import pytest

from ghostls.completion.rhythm import MAX_FACTOR, TypingRhythm


def typed(rhythm: TypingRhythm, uri: str, gaps: list[float], start: float = 100.0) -> None:
    now = start
    rhythm.keystroke(uri, now)
    for gap in gaps:
        now += gap
        rhythm.keystroke(uri, now)


@pytest.mark.parametrize("gaps,base,expected", [
    ([], 0.075, 0.075),  # nothing known yet: the setting
    ([0.06, 0.07], 0.075, 0.075),  # too few intervals to judge
    ([0.067] * 8, 0.075, 0.134),  # 15 chars/s: wait for twice the interval
    ([0.2] * 8, 0.075, 0.075 * MAX_FACTOR),  # slow typing: capped
    ([0.03] * 8, 0.075, 0.075),  # very fast typing: never below the setting
    ([0.067] * 8 + [5.0], 0.075, 0.075),  # a long pause ends the burst
    ([0.4] * 8 + [0.06] * 8, 0.075, 0.12),  # only the last 8 intervals count
    ([0.067] * 8, 0.0, 0.0),  # debounce off stays off
])
def test_debounce_follows_the_recent_typing_interval(gaps: list[float], base: float, expected: float) -> None:
    rhythm = TypingRhythm()
    typed(rhythm, "file:///a.py", gaps)
    assert rhythm.debounce_s("file:///a.py", base) == pytest.approx(expected)


def test_documents_have_their_own_rhythm_and_forget_it() -> None:
    rhythm = TypingRhythm()
    typed(rhythm, "file:///fast.py", [0.06] * 8)
    typed(rhythm, "file:///slow.py", [0.9] * 8)
    assert rhythm.debounce_s("file:///fast.py", 0.075) == pytest.approx(0.12)
    assert rhythm.debounce_s("file:///slow.py", 0.075) == pytest.approx(0.3)
    rhythm.forget("file:///fast.py")
    assert rhythm.debounce_s("file:///fast.py", 0.075) == 0.075
