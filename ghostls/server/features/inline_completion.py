"""textDocument/inlineCompletion (LSP 3.18): ghost text, and ``ghostls.completionStats``."""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types

from ghostls.server.app import GhostServer
from ghostls.server.commands import command
from ghostls.server.completion_service import CompletionService
from ghostls.server.convert import to_completion_request, to_inline_completion_list

log = logging.getLogger(__name__)


def _document_for(ls: GhostServer, params: types.InlineCompletionParams) -> Any:
    doc = ls.documents.get(params.text_document.uri)
    if doc is None:
        log.warning("inline completion for %s, which is not open", params.text_document.uri)
    elif not doc.is_valid_position(params.position.line, params.position.character):
        log.warning("inline completion at %d:%d, outside %s", params.position.line,
                    params.position.character, doc.uri)
        return None
    return doc


def register(server: GhostServer) -> None:
    server.completions = service = CompletionService(server)  # type: ignore[attr-defined]
    server.documents.on_close.append(lambda doc: service.forget(doc.uri))

    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(ls: GhostServer, params: types.InlineCompletionParams) -> types.InlineCompletionList:
        doc = _document_for(ls, params)
        if doc is None:
            return types.InlineCompletionList(items=[])
        result = await service.complete(to_completion_request(doc, params))
        return to_inline_completion_list(doc, result)

    @command(server, "ghostls.completionStats")
    async def completion_stats(ls: GhostServer, params: dict[str, Any]) -> dict[str, Any]:
        """Counters of the completion scheduler and caches; ``{"reset": true}`` zeroes them."""
        snapshot = service.snapshot()
        if params.get("reset"):
            service.reset_stats()
        return snapshot
