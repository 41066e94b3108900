"""The context engine: runs each source under its own deadline, then ranks and packs.

``ContextEngine`` is the completion pipeline's ``context_source``: called in a worker thread as
``engine(request, budget_tokens)``, it returns the snippets for the prompt, best-first packed into
``budget_tokens`` of the model's own tokens and laid out stable-first.  A source that misses its
deadline (or fails) is dropped for that request and logged; the others still count.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from ghostls.completion.request import CompletionRequest
from ghostls.context.rank import Candidate, drop_shown, fuse, layout_order, pack
from ghostls.context.sources import ContextQuery, Source
from ghostls.providers.base import ApproximateCounter, Snippet, TokenCounter
from ghostls.settings import ContextSettings

log = logging.getLogger(__name__)

CHARS_PER_TOKEN = 3.0  # conservative guess used only to estimate which lines the prompt shows


@dataclass
class ContextResult:
    snippets: tuple[Snippet, ...] = ()
    candidates: list[Candidate] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per source, and "total"
    dropped: dict[str, str] = field(default_factory=dict)  # source -> why it was left out
    window: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class SourceSlot:
    source: Source
    deadline_ms: Callable[[ContextSettings], int]
    enabled: Callable[[ContextSettings], bool]


def shown_window(request: CompletionRequest, lines: list[str], row: int, tokens: int,
                 suffix_share: float) -> tuple[int, int]:
    """The lines of the current file the prompt will surely show around the cursor (an estimate
    that errs on the small side: what it misses is at worst shown twice)."""
    chars = tokens * CHARS_PER_TOKEN
    above = chars * (1 - suffix_share)
    start = row
    used = len(request.line_prefix)
    while start > 0 and used + len(lines[start - 1]) + 1 <= above:
        start -= 1
        used += len(lines[start]) + 1
    below, end, used = chars * suffix_share, row, len(request.line_suffix)
    while end + 1 < len(lines) and used + len(lines[end + 1]) + 1 <= below:
        end += 1
        used += len(lines[end]) + 1
    return start, end


class ContextEngine:
    def __init__(self, slots: list[SourceSlot], settings: Callable[[], ContextSettings],
                 counter: Callable[[], TokenCounter | None], workers: int = 6,
                 prompt_budget: Callable[[], int | None] = lambda: None,
                 display_path: Callable[[str], str] = lambda path: path) -> None:
        self.slots = slots
        self.settings = settings
        self.counter = counter
        self.prompt_budget = prompt_budget  # the whole prompt's tokens, for ``context_share``
        # How a file is named in the prompt (workspace-relative: shorter, and what models saw in training).
        self.display_path = display_path
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ghostls-context")
        self._running: dict[str, Future] = {}
        self._lock = threading.Lock()

    def __call__(self, request: CompletionRequest, budget_tokens: int) -> tuple[Snippet, ...]:
        return self.build(request, budget_tokens).snippets

    def query(self, request: CompletionRequest, budget_tokens: int) -> ContextQuery:
        settings = self.settings()
        lines = request.text.split("\n")
        row = request.prefix.count("\n")
        window = shown_window(request, lines, row, budget_tokens, settings.suffix_share)
        return ContextQuery(request, lines, row, window, settings.window_lines, settings.max_snippet_lines)

    def build(self, request: CompletionRequest, budget_tokens: int) -> ContextResult:
        started = time.perf_counter()
        settings = self.settings()
        result = ContextResult()
        total = self.prompt_budget()
        if total is not None:
            budget_tokens = min(budget_tokens, int(total * settings.context_share))
        if not settings.enable or budget_tokens <= 0:
            return result
        query = self.query(request, budget_tokens)
        result.window = query.window
        ranked = self._run_sources(query, settings, result)
        t = time.perf_counter()
        candidates = [Candidate(replace(c.snippet, path=self.display_path(c.snippet.path)), c.score)
                      for c in drop_shown(fuse(ranked), query.path, query.window)]
        counter = self.counter() or ApproximateCounter()
        kept = pack(candidates, counter, budget_tokens)
        result.candidates = candidates
        result.snippets = layout_order(kept)
        result.timings["rank"] = time.perf_counter() - t
        result.timings["total"] = time.perf_counter() - started
        log.debug("context for %s:%d: %d of %d candidates, %s%s", query.path, row_of(request),
                  len(result.snippets), len(candidates),
                  " ".join(f"{k}={v * 1000:.1f}ms" for k, v in result.timings.items()),
                  "".join(f"; {k} dropped ({v})" for k, v in result.dropped.items()))
        return result

    def _run_sources(self, query: ContextQuery, settings: ContextSettings,
                     result: ContextResult) -> dict[str, list[Snippet]]:
        started = time.perf_counter()
        futures: list[tuple[SourceSlot, Future, float]] = []
        for slot in self.slots:
            name = slot.source.name
            if not slot.enabled(settings):
                continue
            with self._lock:
                previous = self._running.get(name)
                if previous is not None and not previous.done():
                    result.dropped[name] = "still busy with an earlier request"
                    log.info("context source %s skipped: still busy with an earlier request", name)
                    continue
                future = self._pool.submit(_timed, slot.source, query)
                self._running[name] = future
            futures.append((slot, future, started + slot.deadline_ms(settings) / 1000))
        ranked: dict[str, list[Snippet]] = {}
        for slot, future, deadline in futures:
            name = slot.source.name
            try:
                snippets, seconds = future.result(timeout=max(0.0, deadline - time.perf_counter()))
            except TimeoutError:
                result.dropped[name] = f"missed its deadline of {slot.deadline_ms(settings)} ms"
                log.info("context source %s dropped: missed its deadline of %d ms", name, slot.deadline_ms(settings))
                continue
            except Exception as exc:
                result.dropped[name] = f"failed: {exc!r}"
                log.warning("context source %s failed: %r", name, exc, exc_info=True)
                continue
            result.timings[name] = seconds
            ranked[name] = snippets
        return ranked

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _timed(source: Source, query: ContextQuery) -> tuple[list[Snippet], float]:
    t = time.perf_counter()
    return list(source(query)), time.perf_counter() - t


def row_of(request: CompletionRequest) -> int:
    return request.prefix.count("\n")
