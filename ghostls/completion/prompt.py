"""Prompt building: prefix and suffix around the cursor, budgeted in the model's own tokens."""

from __future__ import annotations

from ghostls.providers.base import PromptParts, TokenCounter


# Tokens rarely span more characters than this: a first cut by characters keeps the
# tokenizer away from the whole of a long file.
CHARS_PER_TOKEN_MAX = 12


def take_tail_lines(text: str, budget: int, counter: TokenCounter) -> str:
    """The longest run of whole lines at the end of ``text`` that fits ``budget`` tokens.

    The last (partial) line is always kept whole, trimmed from the left only if it alone is
    over budget.  Binary search over line starts: O(log lines) tokenizer calls.
    """
    if budget <= 0:
        return ""
    window = text[-budget * CHARS_PER_TOKEN_MAX:] if len(text) > budget * CHARS_PER_TOKEN_MAX else text
    if window is text and counter.count(text) <= budget:
        return text
    last_start = window.rfind("\n") + 1
    if counter.count(window[last_start:]) > budget:
        return _trim_left(window[last_start:], budget, counter)
    starts = [0 if window is text else window.find("\n") + 1]
    i = window.find("\n", starts[0])
    while i != -1:
        starts.append(i + 1)
        i = window.find("\n", i + 1)
    lo, hi = 0, len(starts) - 1  # smallest index whose tail fits (hi always fits)
    while lo < hi:
        mid = (lo + hi) // 2
        if counter.count(window[starts[mid]:]) <= budget:
            hi = mid
        else:
            lo = mid + 1
    return window[starts[lo]:]


def take_head_lines(text: str, budget: int, counter: TokenCounter) -> str:
    """The longest run of whole lines at the start of ``text`` that fits ``budget`` tokens."""
    if budget <= 0:
        return ""
    window = text[:budget * CHARS_PER_TOKEN_MAX] if len(text) > budget * CHARS_PER_TOKEN_MAX else text
    if window is text and counter.count(text) <= budget:
        return text
    ends = []
    i = window.find("\n")
    while i != -1:
        ends.append(i)
        i = window.find("\n", i + 1)
    if window is text:
        ends.append(len(text))
    lo, hi = -1, len(ends) - 1  # largest index whose head fits (-1: none)
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
    kept_suffix = take_head_lines(suffix, suffix_budget, counter) if suffix else ""
    prefix_budget = budget - counter.count(kept_suffix)
    kept_prefix = take_tail_lines(prefix, prefix_budget, counter)
    return PromptParts(prefix=kept_prefix, suffix=kept_suffix, **extra)  # type: ignore[arg-type]
