"""Pure conversions between LSP types and engine types."""

from __future__ import annotations

from urllib.parse import unquote, urlparse

from lsprotocol import types

from ghostls.completion.request import CompletionRequest, CompletionResult
from ghostls.documents import Document


def uri_to_path(uri: str) -> str:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return uri
    return unquote(parsed.path)


def to_range(doc: Document, start: int, end: int) -> types.Range:
    (sl, sc), (el, ec) = doc.position_at(start), doc.position_at(end)
    return types.Range(start=types.Position(line=sl, character=sc), end=types.Position(line=el, character=ec))


def range_offsets(doc: Document, r: types.Range) -> tuple[int, int]:
    return doc.offset_at(r.start.line, r.start.character), doc.offset_at(r.end.line, r.end.character)


def to_completion_request(doc: Document, params: types.InlineCompletionParams) -> CompletionRequest:
    ctx = params.context
    selected = ctx.selected_completion_info if ctx else None
    # ghostls's optional ``context.ghostlsSelection`` (see features/inline_completion.py).
    selection = getattr(ctx, "ghostls_selection", None)
    return CompletionRequest(
        text=doc.text,
        offset=doc.offset_at(params.position.line, params.position.character),
        path=uri_to_path(doc.uri), language=doc.language_id, uri=doc.uri, version=doc.version,
        invoked=bool(ctx and ctx.trigger_kind == types.InlineCompletionTriggerKind.Invoked),
        selected_completion=selected.text if selected else "",
        has_selection=selection is not None and selection.start != selection.end,
    )


def to_inline_completion_list(doc: Document, result: CompletionResult | None) -> types.InlineCompletionList:
    if result is None:
        return types.InlineCompletionList(items=[])
    return types.InlineCompletionList(items=[
        types.InlineCompletionItem(insert_text=item.text, range=to_range(doc, item.start, item.end))
        for item in result.items])
