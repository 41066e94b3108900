"""Cross-file context: feeds the completion pipeline, and ``ghostls.showPrompt`` shows the result."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from ghostls.completion.request import CompletionRequest
from ghostls.context.prompt_view import describe, render_at
from ghostls.context.service import engine_for_server
from ghostls.documents import Document
from ghostls.server.app import GhostServer
from ghostls.server.commands import CommandError, command, require_document, require_position
from ghostls.server.convert import uri_to_path

INDEX_WAIT_S = 10.0  # showPrompt is asked for rarely: worth waiting for a first index build


def request_at(doc: Document, offset: int) -> CompletionRequest:
    return CompletionRequest(text=doc.text, offset=offset, path=uri_to_path(doc.uri), language=doc.language_id,
                             uri=doc.uri, version=doc.version, invoked=True)


async def context_settled(server: GhostServer, timeout: float = INDEX_WAIT_S) -> None:
    """Wait (a bounded time) for a running index build, then bring the similar-code corpus up to date."""
    service = getattr(server, "index_service", None)
    build = getattr(service, "last_build", None)
    if build is not None and not build.done():
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(build)), timeout)
    index = getattr(server, "index", None)
    if index is not None:
        await asyncio.to_thread(server.context.feeder.sync, index)  # type: ignore[attr-defined]


def register(server: GhostServer) -> None:
    engine = engine_for_server(server)
    server.context = engine  # type: ignore[attr-defined]
    server.completions.context_source = engine  # type: ignore[attr-defined]

    @command(server, "ghostls.showPrompt")
    async def show_prompt(ls: GhostServer, params: dict[str, Any]) -> dict[str, Any]:
        doc = require_document(ls, params)
        request = request_at(doc, require_position(doc, params))
        provider = await ls.provider()
        if provider is None:
            raise CommandError(f"no model is loaded ({ls.providers.error or 'see ghostls.status'})")
        await context_settled(ls)
        prompt = await asyncio.to_thread(render_at, request, provider, ls.settings, engine)
        return describe(prompt, request, provider, ls.settings)
