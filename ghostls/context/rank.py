"""Ranking: merge the sources' lists by weighted reciprocal rank fusion, drop duplicates and
what the prompt shows anyway, and keep the best that fits the budget in the model's tokens.

Line ranges are 0-based and inclusive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from ghostls.providers.base import Snippet, TokenCounter

RRF_K = 10
MAX_CANDIDATES = 40  # more never fit a prompt; counting them costs time
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
    paths = sorted({c.snippet.path for c in candidates})
    counts = count_all(counter, [c.snippet.text for c in candidates] + paths)
    path_tokens = dict(zip(paths, counts[len(candidates):], strict=True))
    for c, tokens in zip(candidates, counts[:len(candidates)], strict=True):
        if left <= overhead or misses >= 4:
            break
        cost = tokens + path_tokens[c.snippet.path] + overhead
        if cost <= left:
            kept.append(c)
            left -= cost
        else:
            misses += 1
    return kept


def count_all(counter: TokenCounter, texts: Sequence[str]) -> list[int]:
    """Token counts of many texts; one batched call when the counter wraps a Hugging Face fast
    tokenizer (the same ids as one call per text, a fraction of the overhead)."""
    backend = getattr(getattr(counter, "tokenizer", None), "backend_tokenizer", None)
    if backend is not None and texts:
        return [len(e.ids) for e in backend.encode_batch(list(texts), add_special_tokens=False)]
    return [counter.count(t) for t in texts]


def layout_order(kept: Sequence[Candidate]) -> tuple[Snippet, ...]:
    """Stable parts first; within a source, by file and line (not by score) so a keystroke that
    only re-scores leaves the order, and the model's cached prefix, as it was."""
    ordered = sorted(kept, key=lambda c: (STABILITY.get(c.snippet.source, 9), c.snippet.path, c.snippet.start_line))
    return tuple(replace(c.snippet, score=round(c.score, 5)) for c in ordered)
