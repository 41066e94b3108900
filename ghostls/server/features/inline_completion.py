"""textDocument/inlineCompletion (LSP 3.18): ghost text."""

from __future__ import annotations

import logging

from lsprotocol import types

from ghostls.server.app import GhostServer
from ghostls.server.completion_service import CompletionService
from ghostls.server.convert import to_completion_request, to_inline_completion_list

log = logging.getLogger(__name__)


def register(server: GhostServer) -> None:
    server.completions = CompletionService(server)  # type: ignore[attr-defined]

    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(ls: GhostServer, params: types.InlineCompletionParams) -> types.InlineCompletionList:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            log.warning("inline completion for %s, which is not open", params.text_document.uri)
            return types.InlineCompletionList(items=[])
        if not doc.is_valid_position(params.position.line, params.position.character):
            log.warning("inline completion at %d:%d, outside %s", params.position.line,
                        params.position.character, doc.uri)
            return types.InlineCompletionList(items=[])
        result = await ls.completions.complete(to_completion_request(doc, params))  # type: ignore[attr-defined]
        return to_inline_completion_list(doc, result)
