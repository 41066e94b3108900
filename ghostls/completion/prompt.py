"""Prompt building: prefix and suffix around the cursor, budgeted in the model's own tokens."""

from __future__ import annotations

import bisect

from ghostls.providers.base import PromptParts, TokenCounter

# Tokens rarely span more characters than this: a first cut by characters keeps the
# tokenizer away from the whole of a long file.
CHARS_PER_TOKEN_MAX = 12
# First guess of characters per token when reading a window with token offsets (doubled
# while the window holds fewer tokens than the budget).
CHARS_PER_TOKEN_GUESS = 5


def _token_spans(text: str, counter: TokenCounter) -> list[tuple[int, int]] | None:
    """Character spans of the tokens of ``text`` from one tokenizer call, when the counter
    wraps a fast tokenizer (None otherwise)."""
    tokenizer = getattr(counter, "tokenizer", None)
    backend = getattr(tokenizer, "backend_tokenizer", None)  # the Rust tokenizer of a fast one
    if backend is None:
        return None
    return backend.encode(text, add_special_tokens=False).offsets


def take_tail_lines(text: str, budget: int, counter: TokenCounter) -> str:
    """The longest run of whole lines at the end of ``text`` that fits ``budget`` tokens.

    The last (partial) line is always kept whole, trimmed from the left only if it alone is
    over budget.  One tokenizer call with offsets over a window a little larger than the budget
    (the count of a tail is the number of tokens starting in it, exact up to a token at the cut);
    a binary search with plain counts for other counters.
    """
    if budget <= 0:
        return ""
    size = budget * CHARS_PER_TOKEN_GUESS
    while True:
        window = text if size >= len(text) else text[-size:]
        spans = _token_spans(window, counter)
        if spans is None:
            return _tail_by_counts(text, budget, counter)
        if len(spans) <= budget and window is text:
            return text
        if len(spans) > budget or window is text:
            break
        size *= 2
    starts = [s for s, _ in spans]
    base = len(text) - len(window)
    line_start = window.rfind("\n") + 1
    for_line = len(starts) - bisect.bisect_left(starts, line_start)
    if for_line > budget:
        return text[base + starts[len(starts) - budget]:]
    first = 0 if window is text else window.find("\n") + 1
    candidates = [first] + [i + 1 for i in _newlines(window, first)]
    lo, hi = 0, len(candidates) - 1  # smallest line start whose tail fits (the last one does)
    while lo < hi:
        mid = (lo + hi) // 2
        if len(starts) - bisect.bisect_left(starts, candidates[mid]) <= budget:
            hi = mid
        else:
            lo = mid + 1
    return text[base + candidates[lo]:]


def _newlines(text: str, start: int) -> list[int]:
    out = []
    i = text.find("\n", start)
    while i != -1:
        out.append(i)
        i = text.find("\n", i + 1)
    return out


def _tail_by_counts(text: str, budget: int, counter: TokenCounter) -> str:
    window = text[-budget * CHARS_PER_TOKEN_MAX:] if len(text) > budget * CHARS_PER_TOKEN_MAX else text
    if window is text and counter.count(text) <= budget:
        return text
    last_start = window.rfind("\n") + 1
    if counter.count(window[last_start:]) > budget:
        return _trim_left(window[last_start:], budget, counter)
    starts = [0 if window is text else window.find("\n") + 1]
    starts += [i + 1 for i in _newlines(window, starts[0])]
    lo, hi = 0, len(starts) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if counter.count(window[starts[mid]:]) <= budget:
            hi = mid
        else:
            lo = mid + 1
    return window[starts[lo]:]


def take_head_lines(text: str, budget: int, counter: TokenCounter) -> str:
    """The longest run of whole lines at the start of ``text`` that fits ``budget`` tokens."""
    return _head_lines(text, budget, counter)[0]


def _head_lines(text: str, budget: int, counter: TokenCounter) -> tuple[str, int]:
    """(kept text, its token count)."""
    if budget <= 0 or not text:
        return "", 0
    size = budget * CHARS_PER_TOKEN_GUESS
    while True:
        window = text if size >= len(text) else text[:size]
        spans = _token_spans(window, counter)
        if spans is None:
            kept = _head_by_counts(text, budget, counter)
            return kept, counter.count(kept)
        if len(spans) <= budget and window is text:
            return text, len(spans)
        if len(spans) > budget or window is text:
            break
        size *= 2
    ends = [e for _, e in spans]
    line_ends = _newlines(window, 0)
    lo, hi = -1, len(line_ends) - 1  # largest line end whose head fits (-1: none)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if bisect.bisect_right(ends, line_ends[mid]) <= budget:
            lo = mid
        else:
            hi = mid - 1
    if lo < 0:
        return "", 0
    return text[:line_ends[lo]], bisect.bisect_right(ends, line_ends[lo])


def _head_by_counts(text: str, budget: int, counter: TokenCounter) -> str:
    window = text[:budget * CHARS_PER_TOKEN_MAX] if len(text) > budget * CHARS_PER_TOKEN_MAX else text
    if window is text and counter.count(text) <= budget:
        return text
    ends = _newlines(window, 0) + ([len(text)] if window is text else [])
    lo, hi = -1, len(ends) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if counter.count(window[:ends[mid]]) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return window[:ends[lo]] if lo >= 0 else ""


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
