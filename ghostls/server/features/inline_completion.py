"""textDocument/inlineCompletion (LSP 3.18): ghost text, and ``ghostls.completionStats``.

LSP's ``InlineCompletionContext`` says nothing of the editor's selection, so a client may add a
non-standard ``"ghostlsSelection": Range`` to it; a non-empty one makes automatic requests skip
(``CompletionRequest.has_selection``), invoked ones still complete.
"""

from __future__ import annotations

import logging
from typing import Any

import attrs
import cattrs
from lsprotocol import types

from ghostls.server.app import GhostServer
from ghostls.server.commands import command
from ghostls.server.completion_service import CompletionService
from ghostls.server.convert import to_completion_request, to_inline_completion_list

log = logging.getLogger(__name__)

SELECTION_FIELD = "ghostlsSelection"


@attrs.define
class SelectionContext(types.InlineCompletionContext):
    """``InlineCompletionContext`` with ghostls's optional ``ghostlsSelection`` (camelCase on the wire)."""

    ghostls_selection: types.Range | None = attrs.field(default=None)


def register_selection_field(converter: cattrs.Converter) -> None:
    """Teach an lsprotocol converter ``context.ghostlsSelection`` (cattrs drops unknown keys): the
    server structures it; a client (the tests) can unstructure a ``SelectionContext``.  A malformed
    selection is ignored with a warning rather than failing the completion."""

    def structure(obj: Any, _: type) -> SelectionContext:
        try:
            return converter.structure(obj, SelectionContext)
        except Exception:
            if not isinstance(obj, dict) or SELECTION_FIELD not in obj:
                raise
            log.warning("inline completion: ignoring a malformed %s: %r", SELECTION_FIELD, obj[SELECTION_FIELD])
            return converter.structure({k: v for k, v in obj.items() if k != SELECTION_FIELD}, SelectionContext)

    plain = converter.get_unstructure_hook(types.InlineCompletionContext)

    def unstructure(ctx: types.InlineCompletionContext) -> Any:
        return converter.unstructure(ctx, SelectionContext) if isinstance(ctx, SelectionContext) else plain(ctx)

    exact = lambda t: t is types.InlineCompletionContext  # noqa: E731 (a plain hook would catch the subclass too)
    converter.register_structure_hook_func(exact, structure)
    converter.register_unstructure_hook_func(exact, unstructure)


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
    register_selection_field(server.protocol.fm.converter)  # the converter pygls structures messages with

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
