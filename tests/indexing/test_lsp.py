"""documentSymbol and workspace/symbol through a real LSP client (VS Code's capabilities), with the
index built in the background, reported with $/progress, and kept current by didChange/didSave/
didChangeWatchedFiles."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from tests.indexing.conftest import write_tree
from tests.support.lsp import lsp_session, open_document

FILES = {
    "shapes/geometry.py": (
        "import math\n\n\nclass Circle:\n    \"\"\"A circle.\"\"\"\n\n    def area(self):\n"
        "        return math.pi\n\n\ndef make_circle():\n    return Circle()\n"),
    "web/app.ts": "export function makeApp(port: number): string {\n  return String(port);\n}\n",
}


async def _wait_for_index(client) -> None:
    """Wait for the end of the server's "Indexing ..." progress (event-driven, no sleeps)."""
    def finished() -> bool:
        return any(any(isinstance(r, types.WorkDoneProgressEnd) for r in reports)
                   and any(isinstance(r, types.WorkDoneProgressBegin) and r.title.startswith("Indexing")
                           for r in reports)
                   for reports in client.progress_reports.values())

    while not finished():
        await client.wait_for_notification("$/progress")


async def test_workspace_and_document_symbols(tmp_path: Path, isolated_cache: Path) -> None:
    root = write_tree(tmp_path / "ws", FILES)
    # The index needs no model: an empty model directory makes the provider fail at once (the user is
    # told so) instead of loading weights this test does not use.
    no_model = tmp_path / "no-model"
    no_model.mkdir()
    async with lsp_session({"model": str(no_model)}, root=root) as client:
        await _wait_for_index(client)
        reports = next(r for r in client.progress_reports.values()
                       if any(isinstance(x, types.WorkDoneProgressBegin) for x in r))
        assert any(isinstance(r, types.WorkDoneProgressReport) and r.percentage == 100 for r in reports) or \
            any(isinstance(r, types.WorkDoneProgressBegin) and r.percentage is not None for r in reports)

        found = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="make"))
        assert sorted((s.name, s.location.uri.rsplit("/", 1)[1]) for s in found) == [
            ("makeApp", "app.ts"), ("make_circle", "geometry.py")]
        (area,) = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="area"))
        assert (area.kind, area.container_name, area.location.range.start.line) == (types.SymbolKind.Method,
                                                                                      "Circle", 6)

        # documentSymbol of a file that is not open comes from the index.
        geometry = root / "shapes/geometry.py"
        symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
            text_document=types.TextDocumentIdentifier(uri=geometry.as_uri())))
        assert [(s.name, [c.name for c in s.children or []]) for s in symbols] == [
            ("Circle", ["area"]), ("make_circle", [])]
        area_symbol = symbols[0].children[0]  # type: ignore[index]
        assert area_symbol.selection_range == types.Range(start=types.Position(line=6, character=8),
                                                          end=types.Position(line=6, character=12))

        # An open document answers from its live tree, edits included, in UTF-16 columns.
        text = "class Émoji:\n    pass\n"
        uri = open_document(client, root / "shapes/new.py", text)
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(line=1, character=4), end=types.Position(line=1, character=8)),
                text="def gö(self): return '😀'")]))
        symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        (cls,) = symbols
        (method,) = cls.children or []
        assert (cls.name, method.name, method.kind) == ("Émoji", "gö", types.SymbolKind.Method)
        assert method.range.end == types.Position(line=1, character=len("    def gö(self): return '😀'") + 1)

        # A file created on disk and announced by the client's file watcher is indexed.
        write_tree(root, {"shapes/extra.py": "def make_square():\n    pass\n"})
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[types.FileEvent(
            uri=(root / "shapes/extra.py").as_uri(), type=types.FileChangeType.Created)]))
        found = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="make_sq"))
        assert [s.name for s in found] == ["make_square"]

        # Saved changes replace what the index had.
        (root / "web/app.ts").write_text("export function startApp() {}\n")
        client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=(root / "web/app.ts").as_uri())))
        assert [s.name for s in await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="app"))] == [
            "startApp"]
    assert list((isolated_cache / "index").glob("ws-*.sqlite3"))  # the index lives in the user's cache
