"""Schedules inline completions: newest request per document wins, generation off the loop."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from ghostls.completion.pipeline import ContextSource, run_completion
from ghostls.completion.request import CompletionRequest, CompletionResult
from ghostls.providers.base import GenerationCancelled, ProviderError

log = logging.getLogger(__name__)


class CompletionService:
    def __init__(self, server: Any) -> None:
        self.server = server
        self._latest: dict[str, object] = {}
        self._cancels: dict[str, threading.Event] = {}
        self.context_source: ContextSource | None = None
        self.last_results: dict[str, CompletionResult] = {}

    def _supersede(self, uri: str) -> tuple[object, threading.Event]:
        token = object()
        self._latest[uri] = token
        previous = self._cancels.get(uri)
        if previous is not None:
            previous.set()
        cancel = threading.Event()
        self._cancels[uri] = cancel
        return token, cancel

    def _is_latest(self, uri: str, token: object) -> bool:
        return self._latest.get(uri) is token

    async def complete(self, request: CompletionRequest) -> CompletionResult | None:
        """Run one request; None when superseded, stale, failed or cancelled by a newer one."""
        uri = request.uri
        token, cancel = self._supersede(uri)
        settings = self.server.settings
        try:
            if not request.invoked and settings.inline.debounce_ms:
                await asyncio.sleep(settings.inline.debounce_ms / 1000)
                if not self._is_latest(uri, token):
                    return None
            provider = await self.server.provider()
            if provider is None or not self._is_latest(uri, token):
                return None
            result = await asyncio.to_thread(run_completion, request, provider, settings, cancel,
                                             self.context_source)
            doc = self.server.documents.get(uri)
            if doc is None or doc.version != request.version or not self._is_latest(uri, token):
                return None
            self.last_results[uri] = result
            return result
        except asyncio.CancelledError:
            cancel.set()
            raise
        except GenerationCancelled:
            return None
        except ProviderError as exc:
            self.server.notifier.show_once("provider", exc.message)
            return None
        except Exception:
            log.exception("inline completion failed")
            return None
        finally:
            if self._cancels.get(uri) is cancel:
                del self._cancels[uri]
