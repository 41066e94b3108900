"""Prompt building: prefix and suffix around the cursor, budgeted in the model's own tokens."""

from __future__ import annotations

import threading
import weakref
from typing import Any

from ghostls.providers.base import PromptParts, TokenCounter

# Tokens rarely span more characters than this: a first cut by characters keeps the
# tokenizer away from the whole of a long file.
CHARS_PER_TOKEN_MAX = 12
class LineCounts:
    """Token counts of single lines (each with its line break), remembered: between two
    keystrokes only the edited line is new, so budgeting a long file costs one small
    tokenizer call instead of tokenizing the whole window again.  Counting lines apart
    can only lose merges across a line break, so the sum errs on the long side (safe for a
    budget); the rendered prompt is counted exactly afterwards."""

    def __init__(self, capacity: int = 50_000) -> None:
        self.capacity = capacity
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def counts(self, lines: list[str], counter: TokenCounter) -> list[int]:
        with self._lock:
            known = self._counts
            missing = [line for line in dict.fromkeys(lines) if line not in known]
        if missing:
            backend = getattr(getattr(counter, "tokenizer", None), "backend_tokenizer", None)
            if backend is not None:
                values = [len(e.ids) for e in backend.encode_batch(missing, add_special_tokens=False)]
            else:
                values = [counter.count(line) for line in missing]
            with self._lock:
                if len(self._counts) + len(missing) > self.capacity:
                    self._counts = {}
                self._counts.update(zip(missing, values, strict=True))
                known = self._counts
        return [known[line] if line in known else counter.count(line) for line in lines]


_line_counts: weakref.WeakKeyDictionary[Any, LineCounts] = weakref.WeakKeyDictionary()


def line_counts(counter: TokenCounter) -> LineCounts:
    try:
        cache = _line_counts.get(counter)
        if cache is None:
            cache = _line_counts[counter] = LineCounts()
        return cache
    except TypeError:  # a counter that cannot be weakly referenced: no memory across calls
        return LineCounts()


CHUNK_LINES = 64


def take_tail_lines(text: str, budget: int, counter: TokenCounter) -> str:
    """The longest run of whole lines at the end of ``text`` that fits ``budget`` tokens.

    The last (partial) line is always kept whole, trimmed from the left only if it alone is
    over budget.  Lines are counted one by one (remembered across calls), walking up from the
    cursor in chunks.
    """
    if budget <= 0:
        return ""
    cache = line_counts(counter)
    last_start = text.rfind("\n") + 1
    used = cache.counts([text[last_start:]], counter)[0]
    if used > budget:
        return _trim_left(text[last_start:], budget, counter)
    start = last_start  # the kept tail is text[start:]
    while start > 0:
        chunk_starts = []
        pos = start
        for _ in range(CHUNK_LINES):
            if pos <= 0:
                break
            pos = text.rfind("\n", 0, pos - 1) + 1
            chunk_starts.append(pos)
        pieces, ends = [], start
        for s_ in chunk_starts:
            pieces.append(text[s_:ends])  # the line with its "\n"
            ends = s_
        for s_, cost in zip(chunk_starts, cache.counts(pieces, counter), strict=True):
            if used + cost > budget:
                return text[start:]
            used += cost
            start = s_
    return text[start:]


def take_head_lines(text: str, budget: int, counter: TokenCounter) -> str:
    """The longest run of whole lines at the start of ``text`` that fits ``budget`` tokens."""
    return _head_lines(text, budget, counter)[0]


def _head_lines(text: str, budget: int, counter: TokenCounter) -> tuple[str, int]:
    """(kept text, its token count by line counts)."""
    if budget <= 0 or not text:
        return "", 0
    cache = line_counts(counter)
    used, end, pos = 0, 0, 0
    while pos < len(text):
        pieces = []
        for _ in range(CHUNK_LINES):
            if pos >= len(text):
                break
            nl = text.find("\n", pos)
            stop = len(text) if nl == -1 else nl + 1
            pieces.append(text[pos:stop])
            pos = stop
        for piece, cost in zip(pieces, cache.counts(pieces, counter), strict=True):
            if used + cost > budget:
                return text[:end].removesuffix("\n"), used
            used += cost
            end += len(piece)
    return text[:end], used


def _trim_left(text: str, budget: int, counter: TokenCounter) -> str:
    lo, hi = 0, len(text)
    while lo < hi:  # smallest start whose tail fits
        mid = (lo + hi) // 2
        if counter.count(text[mid:]) <= budget:
            hi = mid
        else:
            lo = mid + 1
    return text[lo:]


def budget_parts(prefix: str, suffix: str, counter: TokenCounter, budget: int,
                 suffix_share: float = 0.25, **extra: object) -> PromptParts:
    """Fit prefix and suffix into ``budget`` tokens: the suffix gets at most ``suffix_share``,
    the prefix the rest (and whatever the suffix leaves unused)."""
    suffix_budget = int(budget * suffix_share)
    kept_suffix, suffix_tokens = _head_lines(suffix, suffix_budget, counter)
    prefix_budget = budget - suffix_tokens
    kept_prefix = take_tail_lines(prefix, prefix_budget, counter)
    return PromptParts(prefix=kept_prefix, suffix=kept_suffix, **extra)  # type: ignore[arg-type]
