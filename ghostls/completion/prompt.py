"""Prompt building: prefix and suffix around the cursor, budgeted in the model's own tokens."""

from __future__ import annotations

from ghostls.providers.base import PromptParts, TokenCounter


def take_tail_lines(text: str, budget: int, counter: TokenCounter) -> str:
    """The longest run of whole lines at the end of ``text`` that fits ``budget`` tokens.

    The last (partial) line is always kept whole, trimmed from the left only if it alone is
    over budget.
    """
    if budget <= 0:
        return ""
    if counter.count(text) <= budget:
        return text
    lines = text.split("\n")
    kept = [lines[-1]]
    used = counter.count(lines[-1])
    if used > budget:
        return _trim_left(lines[-1], budget, counter)
    for line in reversed(lines[:-1]):
        cost = counter.count(line + "\n")
        if used + cost > budget:
            break
        kept.append(line)
        used += cost
    return "\n".join(reversed(kept))


def take_head_lines(text: str, budget: int, counter: TokenCounter) -> str:
    """The longest run of whole lines at the start of ``text`` that fits ``budget`` tokens."""
    if budget <= 0:
        return ""
    if counter.count(text) <= budget:
        return text
    lines = text.split("\n")
    kept: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        piece = line if i == 0 else "\n" + line
        cost = counter.count(piece)
        if used + cost > budget:
            break
        kept.append(piece)
        used += cost
    return "".join(kept)


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
