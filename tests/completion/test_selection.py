"""Selected text: automatic requests get nothing, invoked ones still complete (non-standard
``context.ghostlsSelection``), through the real server and a real LSP client."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import converters, types

from ghostls.server.features.inline_completion import SelectionContext, register_selection_field
from tests.support import lsp
from tests.support.lsp import execute, lsp_session, open_document

TEXT = "# note: "  # the cursor at the end: nothing else would stop an automatic request here
NOTE = types.Range(start=types.Position(line=0, character=2), end=types.Position(line=0, character=6))
CURSOR = types.Range(start=types.Position(line=0, character=8), end=types.Position(line=0, character=8))


def _params(uri: str, selection: types.Range | None, invoked: bool) -> types.InlineCompletionParams:
    kind = types.InlineCompletionTriggerKind.Invoked if invoked else types.InlineCompletionTriggerKind.Automatic
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=0, character=8),
        context=SelectionContext(trigger_kind=kind, ghostls_selection=selection))


async def test_automatic_requests_skip_while_text_is_selected(
        tmp_path: Path, runaway_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The runaway model always writes '!', so "gets items" does not depend on random weights.
    log_file = tmp_path / "server.log"
    monkeypatch.setattr(lsp, "SERVER_COMMAND", [*lsp.SERVER_COMMAND, "--log-file", str(log_file)])
    settings = {"model": str(runaway_model_dir), "maxNewTokens": 4, "logLevel": "debug",
                "inline": {"debounceMs": 0, "maxLines": 1}}
    async with lsp_session(settings, root=tmp_path) as client:
        register_selection_field(client.protocol.fm.converter)  # the client sends the field too
        uri = open_document(client, tmp_path / "sel.py", TEXT)
        invoked = await client.text_document_inline_completion_async(_params(uri, NOTE, invoked=True))
        await execute(client, "ghostls.completionStats", {"reset": True})
        automatic = await client.text_document_inline_completion_async(_params(uri, NOTE, invoked=False))
        skipped = await execute(client, "ghostls.completionStats", {"reset": True})
        cursor_only = await client.text_document_inline_completion_async(_params(uri, CURSOR, invoked=False))
        answered = await execute(client, "ghostls.completionStats")
    assert invoked.items and set(invoked.items[0].insert_text) == {"!"}
    assert len(automatic.items) == 0
    assert skipped["skipped"] == 1 and skipped["generations"] == 0
    assert "inline completion skipped: text is selected" in log_file.read_text()
    # An empty selection is just the cursor: the automatic request completes.
    assert cursor_only.items and answered["skipped"] == 0


def test_the_field_on_the_wire() -> None:
    converter = converters.get_converter()
    register_selection_field(converter)
    params = _params("file:///a.py", NOTE, invoked=False)
    wire = converter.unstructure(params)
    assert wire["context"]["ghostlsSelection"] == {"start": {"line": 0, "character": 2},
                                                   "end": {"line": 0, "character": 6}}
    assert converter.structure(wire, types.InlineCompletionParams).context.ghostls_selection == NOTE
    # A malformed selection is ignored (the request still completes), not an invalid-params error.
    wire["context"]["ghostlsSelection"] = "line 0"
    assert converter.structure(wire, types.InlineCompletionParams).context.ghostls_selection is None
    # Plain contexts are unchanged.
    params.context = types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked)
    assert converter.unstructure(params)["context"] == {"triggerKind": 1}
