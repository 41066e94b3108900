"""Model introspection commands: ghostls.showTokens, showAttention, showPositions, whyThisSuggestion.

Each takes one object ``{uri, range?, ...}`` and returns the view's JSON with an ``html`` field
holding a self-contained page (send ``html: false`` to leave it out).  The engines run in a
worker thread; their :class:`ViewError` comes back as an InvalidParams error with its message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ghostls.providers.base import ProviderError
from ghostls.server.app import GhostServer
from ghostls.server.commands import CommandError, command, require_document, require_range
from ghostls.views import service
from ghostls.views.service import ViewError


async def _run(ls: GhostServer, work: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """Run ``work(provider)`` off the event loop with the loaded provider."""
    provider = await ls.provider()
    if provider is None:
        raise CommandError(f"no model is loaded: {ls.providers.status().get('error') or 'see the ghostls log'}")
    try:
        return await asyncio.to_thread(work, provider)
    except (ViewError, ProviderError) as exc:
        raise CommandError(getattr(exc, "message", None) or str(exc)) from exc


def register(server: GhostServer) -> None:
    @command(server, "ghostls.showTokens")
    async def show_tokens(ls: GhostServer, params: dict[str, Any]) -> dict[str, Any]:
        doc = require_document(ls, params)
        start, end = require_range(doc, params)
        return await _run(ls, lambda p: service.tokens_view(doc, start, end, p, params))

    @command(server, "ghostls.showAttention")
    async def show_attention(ls: GhostServer, params: dict[str, Any]) -> dict[str, Any]:
        doc = require_document(ls, params)
        start, end = require_range(doc, params)
        query = require_range(doc, params, "query") if params.get("query") is not None else None
        return await _run(ls, lambda p: service.attention_view(doc, start, end, p, ls.settings, params, query))

    @command(server, "ghostls.showPositions")
    async def show_positions(ls: GhostServer, params: dict[str, Any]) -> dict[str, Any]:
        doc = require_document(ls, params)
        start, end = require_range(doc, params)
        return await _run(ls, lambda p: service.positions_view(doc, start, end, p, params))

    @command(server, "ghostls.whyThisSuggestion")
    async def why_this_suggestion(ls: GhostServer, params: dict[str, Any]) -> dict[str, Any]:
        doc = require_document(ls, params)
        last = getattr(getattr(ls, "completions", None), "last_results", {}).get(doc.uri)
        return await _run(ls, lambda p: service.why_suggestion_view(doc, p, last, params))
