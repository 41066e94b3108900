"""Ranking: merge the sources' lists by weighted reciprocal rank fusion, drop duplicates and
what the prompt shows anyway, and keep the best that fits the budget in the model's tokens.

Line ranges are 0-based and inclusive.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from ghostls.providers.base import Snippet, TokenCounter

RRF_K = 10
MAX_CANDIDATES = 40  # more never fit a prompt; counting them costs time
COUNT_BATCH = 8
WEIGHTS = {"scope": 0.9, "definition": 1.0, "similar": 0.6, "similar-open": 0.6, "recent-edit": 0.5}
# Layout order: parts that change rarely first, so consecutive prompts share a long prefix.
STABILITY = {"scope": 0, "definition": 1, "similar": 2, "similar-open": 3, "recent-edit": 4}


@dataclass(frozen=True)
class Candidate:
    snippet: Snippet
    score: float  # fused


def overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start <= b_end and b_start <= a_end


def fuse(ranked: Mapping[str, Sequence[Snippet]], weights: Mapping[str, float] = WEIGHTS,
         k: int = RRF_K) -> list[Candidate]:
    """Weighted reciprocal rank fusion; overlapping snippets of one file merge into the best one
    (which then carries the sum of their scores)."""
    merged: list[Candidate] = []
    by_path: dict[str, list[int]] = {}
    scored = [(weights.get(source, 0.5) / (k + rank), snip)
              for source, snippets in ranked.items() for rank, snip in enumerate(snippets)]
    scored.sort(key=lambda item: -item[0])
    for score, snip in scored:
        slot = next((i for i in by_path.get(snip.path, ())
                     if overlaps(merged[i].snippet.start_line, merged[i].snippet.end_line,
                                 snip.start_line, snip.end_line)), None)
        if slot is None:
            by_path.setdefault(snip.path, []).append(len(merged))
            merged.append(Candidate(snip, score))
        else:
            merged[slot] = Candidate(merged[slot].snippet, merged[slot].score + score)
    merged.sort(key=lambda c: -c.score)
    return merged


def drop_shown(candidates: Sequence[Candidate], path: str, window: tuple[int, int]) -> list[Candidate]:
    """Leave out what overlaps the part of the current file that the prompt shows anyway."""
    return [c for c in candidates
            if not (c.snippet.path == path and overlaps(c.snippet.start_line, c.snippet.end_line, *window))]


def pack(candidates: Sequence[Candidate], counter: TokenCounter, budget: int,
         overhead: int = 4) -> list[Candidate]:
    """Best first, each that fits what is left; ``overhead`` tokens per snippet for its markers
    (file separator, path line).  The total never exceeds ``budget``."""
    kept: list[Candidate] = []
    left = budget
    misses = 0
    candidates = list(candidates[:MAX_CANDIDATES])
    for at in range(0, len(candidates), COUNT_BATCH):
        chunk = candidates[at:at + COUNT_BATCH]
        counts = count_all(counter, [c.snippet.text for c in chunk] + [c.snippet.path for c in chunk])
        for i, c in enumerate(chunk):
            if left <= overhead or misses >= 4:
                return kept
            cost = counts[i] + counts[len(chunk) + i] + overhead
            if cost <= left:
                kept.append(c)
                left -= cost
            else:
                misses += 1
    return kept


_COUNTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_COUNTS_LOCK = threading.Lock()


def count_all(counter: TokenCounter, texts: Sequence[str]) -> list[int]:
    """Token counts of many texts; one batched call when the counter wraps a Hugging Face fast
    tokenizer (the same ids as one call per text, a fraction of the overhead)."""
    try:
        with _COUNTS_LOCK:
            cache = _COUNTS.setdefault(counter, {})
    except TypeError:  # a counter that cannot be weakly referenced: no cache
        cache = {}
    missing = list(dict.fromkeys(t for t in texts if t not in cache))
    if missing:
        backend = getattr(getattr(counter, "tokenizer", None), "backend_tokenizer", None)
        if backend is not None:
            found = [len(e.ids) for e in backend.encode_batch(missing, add_special_tokens=False)]
        else:
            found = [counter.count(t) for t in missing]
        with _COUNTS_LOCK:
            if len(cache) > 20000:
                cache.clear()
            cache.update(zip(missing, found, strict=True))
        fresh = dict(zip(missing, found, strict=True))
        return [fresh[t] if t in fresh else cache[t] for t in texts]
    return [cache[t] for t in texts]


def layout_order(kept: Sequence[Candidate]) -> tuple[Snippet, ...]:
    """Stable parts first; within a source, by file and line (not by score) so a keystroke that
    only re-scores leaves the order, and the model's cached prefix, as it was."""
    ordered = sorted(kept, key=lambda c: (STABILITY.get(c.snippet.source, 9), c.snippet.path, c.snippet.start_line))
    return tuple(replace(c.snippet, score=round(c.score, 5)) for c in ordered)
