"""The index in the server: ``server.trees``, ``server.index``, documentSymbol and workspace/symbol.

The index starts when settings first arrive (inside ``initialize``, after the workspace folders are
known) and restarts when the ``index`` settings or the folders change.  Handlers stay thin: the
work is in ``ghostls.indexing``; the ``to_lsp_*`` helpers here are pure conversions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from concurrent.futures import Future

from lsprotocol import types

from ghostls.documents import Document
from ghostls.indexing.languages import all_specs
from ghostls.indexing.model import Definition
from ghostls.indexing.service import IndexService, uri_to_path
from ghostls.indexing.trees import DocumentTrees
from ghostls.server.app import GhostServer, background
from ghostls.server.progress import ProgressReporter
from ghostls.settings import Settings

log = logging.getLogger(__name__)

WORKSPACE_SYMBOL_LIMIT = 200
UPDATE_WAIT_S = 1.0

_KINDS = {
    "function": types.SymbolKind.Function, "method": types.SymbolKind.Method, "class": types.SymbolKind.Class,
    "constant": types.SymbolKind.Constant, "variable": types.SymbolKind.Variable,
    "interface": types.SymbolKind.Interface, "type": types.SymbolKind.TypeParameter,
    "struct": types.SymbolKind.Struct, "enum": types.SymbolKind.Enum, "trait": types.SymbolKind.Interface,
    "module": types.SymbolKind.Module, "namespace": types.SymbolKind.Namespace, "field": types.SymbolKind.Field,
    "constructor": types.SymbolKind.Constructor, "macro": types.SymbolKind.Constant,
    "record": types.SymbolKind.Class, "annotation": types.SymbolKind.Interface, "union": types.SymbolKind.Struct,
    "prototype": types.SymbolKind.Function,
}


# -- pure conversions ------------------------------------------------------------------------------

def to_lsp_position(doc: Document | None, line: int, column: int) -> types.Position:
    """A code-point column -> the client's encoding (exact for open documents, code points otherwise)."""
    if doc is not None and line < doc.line_count:
        return types.Position(line=line, character=doc.position_at(doc.line_starts[line] + column)[1])
    return types.Position(line=line, character=column)


def to_lsp_range(doc: Document | None, d: Definition) -> types.Range:
    start = to_lsp_position(doc, d.start_line, d.start_col)
    end = to_lsp_position(doc, d.end_line, d.end_col)
    return types.Range(start=start, end=end)


def to_document_symbols(doc: Document | None, definitions: Sequence[Definition]) -> list[types.DocumentSymbol]:
    """Nested ``DocumentSymbol`` trees: a definition is the child of the innermost one enclosing it."""
    roots: list[types.DocumentSymbol] = []
    stack: list[tuple[Definition, types.DocumentSymbol]] = []
    for d in sorted(definitions, key=lambda d: (d.start_line, d.start_col, -d.end_line, -d.end_col)):
        r = to_lsp_range(doc, d)
        symbol = types.DocumentSymbol(name=d.name or "?", kind=_KINDS.get(d.kind, types.SymbolKind.Variable),
                                      range=r, selection_range=_name_range(doc, d, r),
                                      detail=d.signature.splitlines()[0] if d.signature else None, children=[])
        while stack and (stack[-1][0].end_line, stack[-1][0].end_col) < (d.end_line, d.end_col):
            stack.pop()
        (stack[-1][1].children if stack else roots).append(symbol)  # type: ignore[union-attr]
        stack.append((d, symbol))
    return roots


def _name_range(doc: Document | None, d: Definition, whole: types.Range) -> types.Range:
    """The name inside the definition's first line (what editors highlight), else its start."""
    first_line = d.signature.split("\n", 1)[0]
    at = first_line.find(d.name) if d.name else -1
    if at < 0 or d.end_line < d.start_line:
        return types.Range(start=whole.start, end=whole.start)
    start = to_lsp_position(doc, d.start_line, d.start_col + at)
    end = to_lsp_position(doc, d.start_line, d.start_col + at + len(d.name))
    if (end.line, end.character) > (whole.end.line, whole.end.character):
        return types.Range(start=whole.start, end=whole.start)
    return types.Range(start=start, end=end)


def to_workspace_symbols(server: GhostServer, definitions: Sequence[Definition]) -> list[types.WorkspaceSymbol]:
    out = []
    for d in definitions:
        uri = _path_to_uri(d.path)
        doc = server.documents.get(uri)
        out.append(types.WorkspaceSymbol(
            name=d.name, kind=_KINDS.get(d.kind, types.SymbolKind.Variable), container_name=d.container or None,
            location=types.Location(uri=uri, range=to_lsp_range(doc, d))))
    return out


def _path_to_uri(path: str) -> str:
    from pathlib import Path

    return Path(path).as_uri() if path.startswith("/") else path


def workspace_roots(server: GhostServer) -> list[str]:
    try:
        workspace = server.workspace
    except RuntimeError:
        return []
    roots = [uri_to_path(uri) for uri in workspace.folders]
    if not roots and workspace.root_path:
        roots = [workspace.root_path]
    return roots


def watcher_glob() -> str:
    extensions = sorted({ext.lstrip(".") for spec in all_specs() for ext in spec.extensions})
    return "**/*.{" + ",".join(extensions) + "}"


# -- registration ----------------------------------------------------------------------------------

def register(server: GhostServer) -> None:
    server.trees = DocumentTrees(server.documents)  # type: ignore[attr-defined]
    service = IndexService(
        server.trees,  # type: ignore[attr-defined]
        text_of=lambda path: _open_text(server, path),
        notify=lambda message: server.notifier.show_once("index", message),
        progress=lambda title: ProgressReporter(server, title))
    server.index_service = service  # type: ignore[attr-defined]
    server.index = service.index  # type: ignore[attr-defined]
    server.trees.on_change = lambda doc: service.document_changed(doc.uri)  # type: ignore[attr-defined]
    server.documents.on_close.append(lambda doc: service.document_closed(doc.uri))

    def settings_changed(old: Settings, new: Settings) -> None:
        if server.loop is not None:  # after the initialize response is out, so progress may be created
            server.loop.call_soon(start)

    def start() -> None:
        service.configure(server.settings.index, workspace_roots(server))
        if not getattr(server, "_index_watching", False):
            server._index_watching = True  # type: ignore[attr-defined]
            background(_watch_files(server))

    server.settings_listeners.append(settings_changed)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def document_symbol(ls: GhostServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        uri = params.text_document.uri
        doc = ls.documents.get(uri)
        definitions = await asyncio.to_thread(service.document_definitions, uri)
        if definitions is None:
            definitions = await asyncio.to_thread(ls.index.definitions_in, uri_to_path(uri))  # type: ignore
        return to_document_symbols(doc, definitions)

    @server.feature(types.WORKSPACE_SYMBOL)
    async def workspace_symbol(ls: GhostServer, params: types.WorkspaceSymbolParams) -> list[types.WorkspaceSymbol]:
        await _settled(service.last_update)  # a file saved a moment ago is found
        found = await asyncio.to_thread(ls.index.search, params.query, WORKSPACE_SYMBOL_LIMIT)  # type: ignore
        return to_workspace_symbols(ls, found)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: GhostServer, params: types.DidSaveTextDocumentParams) -> None:
        service.files_changed([params.text_document.uri])

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: GhostServer, params: types.DidChangeWatchedFilesParams) -> None:
        service.files_changed([change.uri for change in params.changes])

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_folders(ls: GhostServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        service.configure(ls.settings.index, workspace_roots(ls))


async def _watch_files(server: GhostServer) -> None:
    """Ask the client to tell us about created/changed/deleted source files (when it can)."""
    workspace = server.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace else None
    if not (watched and watched.dynamic_registration):
        return
    options = types.DidChangeWatchedFilesRegistrationOptions(
        watchers=[types.FileSystemWatcher(glob_pattern=watcher_glob())])
    try:
        await server.client_register_capability_async(types.RegistrationParams(registrations=[types.Registration(
            id="ghostls-index-watch", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options)]))
    except Exception as exc:  # the index still follows saves and open documents
        log.info("the client did not accept file watching (%s); the index follows saves only", exc)


async def _settled(update: Future | None, timeout: float = UPDATE_WAIT_S) -> None:
    """Wait (briefly) for a queued index update; a slow one is not waited for."""
    if update is not None and not update.done():
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(update)), timeout)


def _open_text(server: GhostServer, path: str) -> str | None:
    doc = server.documents.get(_path_to_uri(path))
    return doc.text if doc is not None else None
