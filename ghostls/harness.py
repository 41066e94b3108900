"""A headless LSP client session: starts ``ghostls serve`` as a subprocess and drives it.

Used by the CLI (``ghostls complete``, ``prompt``, ``explain``...), the replay harness and
benchmarks, so every one of them exercises the real server over stdio.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from ghostls import __version__

LANGUAGE_IDS = {".py": "python", ".js": "javascript", ".jsx": "javascriptreact", ".ts": "typescript",
                ".tsx": "typescriptreact", ".go": "go", ".rs": "rust", ".java": "java", ".c": "c",
                ".h": "c", ".cc": "cpp", ".cpp": "cpp", ".hpp": "cpp", ".cxx": "cpp", ".md": "markdown"}


def language_id(path: Path) -> str:
    return LANGUAGE_IDS.get(path.suffix.lower(), "plaintext")


class HeadlessSession:
    """``async with HeadlessSession(settings) as s: await s.open(path); await s.inline(...)``."""

    def __init__(self, settings: dict[str, Any] | None = None, root: Path | None = None,
                 server_args: list[str] | None = None, on_message: Callable[[str], None] | None = None,
                 position_encoding: str = "utf-16") -> None:
        self.settings = settings or {}
        self.root = (root or Path.cwd()).resolve()
        self.server_args = server_args or []
        self.on_message = on_message or (lambda text: print(text, file=sys.stderr))
        self.position_encoding = position_encoding
        self.client = LanguageClient("ghostls-headless", __version__)
        self.versions: dict[str, int] = {}
        self.progress: list[Any] = []
        # ghostls/stream notifications: streamId -> callback(text so far, done)
        self.stream_listeners: dict[str, Callable[[str, bool], None]] = {}
        self._install_handlers()

    def _install_handlers(self) -> None:
        client = self.client

        @client.feature(types.WINDOW_LOG_MESSAGE)
        def log_message(params: types.LogMessageParams) -> None:
            if params.type <= types.MessageType.Warning:
                self.on_message(params.message)

        @client.feature(types.WINDOW_SHOW_MESSAGE)
        def show_message(params: types.ShowMessageParams) -> None:
            self.on_message(params.message)

        @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def create_progress(params: types.WorkDoneProgressCreateParams) -> None:
            return None

        @client.feature(types.PROGRESS)
        def progress(params: types.ProgressParams) -> None:
            self.progress.append(params)
            value = params.value
            message = getattr(value, "message", None) or (value.get("message") if isinstance(value, dict) else None)
            if message:
                self.on_message(f"[progress] {message}")

        @client.feature("ghostls/stream")
        def stream(params: Any) -> None:
            get = (lambda k: params.get(k)) if isinstance(params, dict) else (lambda k: getattr(params, k, None))
            listener = self.stream_listeners.get(get("streamId"))
            if listener is not None:
                listener(get("text") or "", bool(get("done")))

        @client.feature(types.WORKSPACE_CONFIGURATION)
        def configuration(params: types.ConfigurationParams) -> list[Any]:
            return [self.settings for _ in params.items]

    async def __aenter__(self) -> HeadlessSession:
        await self.client.start_io(sys.executable, "-m", "ghostls", "serve", *self.server_args)
        caps = types.ClientCapabilities(
            general=types.GeneralClientCapabilities(position_encodings=[self.position_encoding]),
            window=types.WindowClientCapabilities(work_done_progress=True),
            workspace=types.WorkspaceClientCapabilities(configuration=True),
            text_document=types.TextDocumentClientCapabilities(
                inline_completion=types.InlineCompletionClientCapabilities()))
        self.initialize_result = await self.client.initialize_async(types.InitializeParams(
            capabilities=caps, root_uri=self.root.as_uri(), initialization_options=self.settings,
            workspace_folders=[types.WorkspaceFolder(uri=self.root.as_uri(), name=self.root.name)]))
        self.client.initialized(types.InitializedParams())
        return self

    async def __aexit__(self, *exc: Any) -> None:
        try:
            await asyncio.wait_for(self.client.shutdown_async(None), timeout=10)
            self.client.exit(None)
        except Exception:
            pass
        await self.client.stop()

    def open(self, path: Path, text: str | None = None) -> str:
        path = path.resolve()
        uri = path.as_uri()
        self.versions[uri] = 1
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri, language_id=language_id(path), version=1,
            text=path.read_text(encoding="utf-8") if text is None else text)))
        return uri

    def change(self, uri: str, start: tuple[int, int], end: tuple[int, int], text: str) -> int:
        self.versions[uri] += 1
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(line=start[0], character=start[1]),
                                  end=types.Position(line=end[0], character=end[1])), text=text)]))
        return self.versions[uri]

    async def inline(self, uri: str, line: int, character: int,
                     invoked: bool = True) -> list[types.InlineCompletionItem]:
        trigger = types.InlineCompletionTriggerKind.Invoked if invoked else types.InlineCompletionTriggerKind.Automatic
        result = await self.client.text_document_inline_completion_async(types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character),
            context=types.InlineCompletionContext(trigger_kind=trigger)))
        if result is None:
            return []
        return list(result.items if isinstance(result, types.InlineCompletionList) else result)

    async def command(self, name: str, params: dict[str, Any] | None = None) -> Any:
        return await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=[params or {}]))


def item_to_json(item: types.InlineCompletionItem) -> dict[str, Any]:
    r = item.range
    return {"insertText": item.insert_text if isinstance(item.insert_text, str) else item.insert_text.value,
            "range": None if r is None else {"start": {"line": r.start.line, "character": r.start.character},
                                             "end": {"line": r.end.line, "character": r.end.character}}}
