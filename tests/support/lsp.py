"""A real LSP client over stdio (pytest-lsp) talking to ``python -m ghostls serve``."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

SERVER_COMMAND = [sys.executable, "-m", "ghostls", "serve", "--log-level", "DEBUG"]


def vscode_capabilities(position_encodings: list[str] | None = None) -> types.ClientCapabilities:
    """VS Code's real initialize capabilities (as recorded by pytest-lsp), plus LSP 3.18 inline
    completion, which VS Code's client announces from vscode-languageclient 10 on."""
    caps = client_capabilities("visual-studio-code")
    caps.text_document.inline_completion = types.InlineCompletionClientCapabilities(dynamic_registration=True)
    if position_encodings is not None:
        caps.general = caps.general or types.GeneralClientCapabilities()
        caps.general.position_encodings = position_encodings
    return caps


@contextlib.asynccontextmanager
async def lsp_session(settings: dict[str, Any] | None = None, *, root: Path | None = None,
                      capabilities: types.ClientCapabilities | None = None,
                      configuration: dict[str, Any] | None = None,
                      env: dict[str, str] | None = None) -> AsyncIterator[LanguageClient]:
    """Start the server, initialize it like VS Code does, yield the client, shut it down."""
    server_env = {**os.environ, **(env or {})}
    config = ClientServerConfig(server_command=SERVER_COMMAND, server_env=server_env)
    client: LanguageClient = await config.start()  # type: ignore[assignment]
    if configuration is not None:
        client.set_configuration(configuration, section="ghostls")
    root = root or Path.cwd()
    try:
        client.initialize_result = await client.initialize_session(types.InitializeParams(  # type: ignore[attr-defined]
            capabilities=capabilities or vscode_capabilities(),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options=settings or {}))
        yield client
    finally:
        try:
            await client.shutdown_session()
        finally:
            await client.stop()


def open_document(client: LanguageClient, path: Path, text: str, language_id: str = "python",
                  version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id=language_id, version=version, text=text)))
    return uri


def inline_params(uri: str, line: int, character: int, invoked: bool = True) -> types.InlineCompletionParams:
    kind = types.InlineCompletionTriggerKind.Invoked if invoked else types.InlineCompletionTriggerKind.Automatic
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=character),
        context=types.InlineCompletionContext(trigger_kind=kind))


async def execute(client: LanguageClient, name: str, params: dict[str, Any] | None = None) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=name, arguments=[params or {}]))
