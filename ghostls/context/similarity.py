"""Lexical similarity over code windows: BM25 (the ``bm25s`` library) and Jaccard over identifiers.

Both indexes are immutable once built: a changed workspace gets a new index, built off the
request path, and queries keep using the previous one until it is ready.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from ghostls.context.windows import Window

log = logging.getLogger(__name__)


class Bm25Index:
    """BM25 (Lucene variant, k1=1.5, b=0.75) over windows' token bags."""

    def __init__(self, windows: Sequence[Window]) -> None:
        import bm25s

        self.windows = [w for w in windows if w.tokens]  # bm25s cannot index a corpus of empty documents
        self._retriever = bm25s.BM25()
        self._vocab: set[str] = set()
        if self.windows:
            self._retriever.index([list(w.tokens) for w in self.windows], show_progress=False)
            self._vocab = set(self._retriever.vocab_dict)

    def search(self, tokens: Iterable[str], k: int = 10, exclude_path: str = "") -> list[tuple[Window, float]]:
        query = list(dict.fromkeys(t for t in tokens if t in self._vocab))
        if not query or not self.windows:
            return []
        scores = self._retriever.get_scores(query)
        if exclude_path:
            scores = scores.copy()
            for i, w in enumerate(self.windows):
                if w.path == exclude_path:
                    scores[i] = 0.0
        return _top(self.windows, scores, k)


class JaccardIndex:
    """Jaccard similarity |A∩B| / |A∪B| of identifier sets, through an inverted index."""

    def __init__(self, windows: Sequence[Window]) -> None:
        self.windows = list(windows)
        self._postings: dict[str, list[int]] = {}
        for i, w in enumerate(self.windows):
            for ident in w.idents:
                self._postings.setdefault(ident, []).append(i)

    def search(self, idents: Iterable[str], k: int = 10, exclude_path: str = "") -> list[tuple[Window, float]]:
        query = frozenset(idents)
        if not query:
            return []
        overlap: Counter[int] = Counter()
        for ident in query:
            overlap.update(self._postings.get(ident, ()))
        scored = []
        for i, inter in overlap.items():
            w = self.windows[i]
            if exclude_path and w.path == exclude_path:
                continue
            scored.append((inter / (len(query) + len(w.idents) - inter), i))
        scored.sort(key=lambda item: (-item[0], item[1]))
        return [(self.windows[i], score) for score, i in scored[:k]]


def _top(windows: list[Window], scores: np.ndarray, k: int) -> list[tuple[Window, float]]:
    k = min(k, len(windows))
    idx = np.argpartition(-scores, k - 1)[:k]
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    return [(windows[i], float(scores[i])) for i in idx if scores[i] > 0]
