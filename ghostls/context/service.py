"""Wiring of the context engine to a running server's documents, index and provider."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from ghostls.completion.pipeline import prompt_budget
from ghostls.context.corpus import WindowCorpus
from ghostls.context.engine import ContextEngine, SourceSlot
from ghostls.context.recent import RecentEdits
from ghostls.context.sources import DefinitionSource, JaccardSource, RecentEditSource, ScopeSource, SimilarSource
from ghostls.server.convert import uri_to_path

log = logging.getLogger(__name__)


class CorpusFeeder:
    """Keeps the BM25 corpus in step with the files the workspace index knows (new, changed and
    removed ones), in a background thread, at most every ``interval`` seconds."""

    def __init__(self, corpus: WindowCorpus, index: Callable[[], Any], interval: float = 30.0,
                 max_files: int = 3000, max_bytes: int = 512 * 1024) -> None:
        self.corpus, self.index = corpus, index
        self.interval, self.max_files, self.max_bytes = interval, max_files, max_bytes
        self._known: dict[str, tuple[int, int]] = {}
        self._last = float("-inf")
        self._running = False
        self._lock = threading.Lock()

    def poke(self) -> None:
        index = self.index()
        if index is None or not getattr(index, "folders", None):
            return
        with self._lock:
            if self._running or time.monotonic() - self._last < self.interval:
                return
            self._running = True
        threading.Thread(target=self._run, args=(index,), name="ghostls-context-feed", daemon=True).start()

    def _run(self, index: Any) -> None:
        try:
            self.sync(index)
        except Exception:
            log.exception("feeding the context corpus from the index failed")
        finally:
            with self._lock:
                self._running = False
                self._last = time.monotonic()

    def sync(self, index: Any) -> int:
        """Bring the corpus up to date with the index's files; returns how many files changed."""
        states: dict[str, tuple[int, int]] = {}
        for folder in getattr(index, "folders", ()):
            store = getattr(folder, "store", None)
            if store is None or not folder.built.is_set():
                continue
            for path, state in store.file_states().items():
                if not state[2] and 0 < state[0] <= self.max_bytes:  # indexed, not skipped
                    states[path] = (state[0], state[1])
        if len(states) > self.max_files:  # the most recently changed files
            states = dict(sorted(states.items(), key=lambda kv: -kv[1][1])[:self.max_files])
        changed = 0
        for path in [p for p in self._known if p not in states]:
            self.corpus.remove(path)
            del self._known[path]
            changed += 1
        for path, state in states.items():
            if self._known.get(path) == state:
                continue
            try:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    self.corpus.set_file(path, fh.read())
            except OSError:
                continue
            self._known[path] = state
            changed += 1
        if changed:
            self.corpus.rebuild()
            log.info("context corpus: %d files (%d changed)", len(self.corpus), changed)
        return changed


def standard_slots(index: Any, corpus: WindowCorpus, documents: Any, recent: RecentEdits | None,
                   window_lines: int = 10, trees: Callable[[], Any] | None = None,
                   refresh: Callable[[], None] | None = None) -> list[SourceSlot]:
    """The sources in their usual order, each with its settings switch and deadline.

    ``index`` is a callable returning the ``SymbolIndex`` (or None while there is none);
    ``documents`` a DocumentStore or None.
    """
    slots = [
        SourceSlot(ScopeSource(trees), lambda s: s.scopes_deadline_ms, lambda s: s.scopes),
        SourceSlot(DefinitionSource(index, corpus=corpus), lambda s: s.definitions_deadline_ms,
                   lambda s: s.definitions),
        SourceSlot(SimilarSource(corpus, refresh=refresh), lambda s: s.similar_deadline_ms, lambda s: s.similar),
    ]
    if documents is not None:
        slots.append(SourceSlot(JaccardSource(lambda: list(documents), uri_to_path, window_lines),
                                lambda s: s.similar_open_deadline_ms, lambda s: s.similar_open))
    if documents is not None and recent is not None:
        slots.append(SourceSlot(RecentEditSource(recent, documents.get, uri_to_path),
                                lambda s: s.recent_edits_deadline_ms, lambda s: s.recent_edits))
    return slots


def engine_for_server(server: Any) -> ContextEngine:
    """An engine that follows ``server``'s settings, documents, index and loaded provider."""
    recent = RecentEdits()
    corpus = WindowCorpus(server.settings.context.window_lines)
    feeder = CorpusFeeder(corpus, lambda: getattr(server, "index", None))
    server.documents.on_open.append(recent.watch)
    server.documents.on_close.append(lambda doc: recent.forget(doc.uri))

    def counter() -> Any:
        provider = server.providers.provider
        return getattr(provider, "counter", None) if provider is not None else None

    slots = standard_slots(lambda: getattr(server, "index", None), corpus, server.documents, recent,
                           server.settings.context.window_lines, trees=lambda: getattr(server, "trees", None),
                           refresh=feeder.poke)
    def prompt_tokens() -> int | None:
        provider = server.providers.provider
        return prompt_budget(server.settings, provider) if provider is not None else None

    def display_path(path: str) -> str:
        owner = getattr(getattr(server, "index", None), "owner", None)
        folder = owner(path) if owner is not None else None
        return os.path.relpath(path, folder.root) if folder is not None else path

    engine = ContextEngine(slots, lambda: server.settings.context, counter, prompt_budget=prompt_tokens,
                           display_path=display_path)
    engine.corpus = corpus  # type: ignore[attr-defined]
    engine.feeder = feeder  # type: ignore[attr-defined]
    engine.recent = recent  # type: ignore[attr-defined]
    return engine
