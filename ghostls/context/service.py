"""Wiring of the context engine to a running server's documents, index and provider."""

from __future__ import annotations

import logging
from typing import Any

from ghostls.context.corpus import WindowCorpus
from ghostls.context.engine import ContextEngine, SourceSlot
from ghostls.context.recent import RecentEdits
from ghostls.context.sources import DefinitionSource, JaccardSource, RecentEditSource, ScopeSource, SimilarSource
from ghostls.server.convert import uri_to_path

log = logging.getLogger(__name__)


def standard_slots(index: Any, corpus: WindowCorpus, documents: Any, recent: RecentEdits | None,
                   window_lines: int = 10) -> list[SourceSlot]:
    """The sources in their usual order, each with its settings switch and deadline.

    ``index`` is a callable returning the ``SymbolIndex`` (or None while there is none);
    ``documents`` a DocumentStore or None.
    """
    slots = [
        SourceSlot(ScopeSource(), lambda s: s.scopes_deadline_ms, lambda s: s.scopes),
        SourceSlot(DefinitionSource(index), lambda s: s.definitions_deadline_ms, lambda s: s.definitions),
        SourceSlot(SimilarSource(corpus), lambda s: s.similar_deadline_ms, lambda s: s.similar),
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
    server.documents.on_open.append(recent.watch)
    server.documents.on_close.append(lambda doc: recent.forget(doc.uri))

    def counter() -> Any:
        provider = server.providers.provider
        return getattr(provider, "counter", None) if provider is not None else None

    slots = standard_slots(lambda: getattr(server, "index", None), corpus, server.documents, recent,
                           server.settings.context.window_lines)
    engine = ContextEngine(slots, lambda: server.settings.context, counter)
    engine.corpus = corpus  # type: ignore[attr-defined]
    engine.recent = recent  # type: ignore[attr-defined]
    return engine
