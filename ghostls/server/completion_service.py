"""Schedules inline completions.

* The newest request on a document wins: a newer one cancels the older one's generation
  (its ``threading.Event`` is set; the decode loop stops at its next step) and the older one
  answers nothing.
* A request whose document version is already stale (more edits arrived) answers nothing.
* Automatic triggers wait ``inline.debounceMs`` first (longer while the user types fast:
  :mod:`ghostls.completion.rhythm`), so a burst of keystrokes costs one generation; typing
  what the suggestion on screen says is answered at once from the cache.
* Generation runs off the event loop (``asyncio.to_thread``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

from ghostls.completion.cache import CompletionCache
from ghostls.completion.pipeline import ContextSource, run_completion, skip_reason
from ghostls.completion.request import CompletionRequest, CompletionResult
from ghostls.completion.rhythm import TypingRhythm
from ghostls.providers.base import GenerationCancelled, ProviderError

log = logging.getLogger(__name__)

COUNTERS = ("requests", "answered", "typedHits", "promptHits", "modelCalls", "generations",
            "superseded", "stale", "skipped", "cancelled", "errors")


class CompletionService:
    def __init__(self, server: Any) -> None:
        self.server = server
        self._latest: dict[str, object] = {}
        self._cancels: dict[str, threading.Event] = {}
        self.context_source: ContextSource | None = None
        self.last_results: dict[str, CompletionResult] = {}
        self.cache = CompletionCache(server.settings.inline.cache_size)
        self.stats: dict[str, int] = dict.fromkeys(COUNTERS, 0)
        self._calls_at_reset = 0
        self._active = 0
        self._active_lock = threading.Lock()
        self.last_answer: dict[str, Any] = {}
        self.rhythm = TypingRhythm()

    # -- state ---------------------------------------------------------------------------
    @property
    def active_generations(self) -> int:
        """Generations running in worker threads right now (cancelled ones until they stop)."""
        with self._active_lock:
            return self._active

    def snapshot(self) -> dict[str, Any]:
        self.stats["modelCalls"] = self.cache.model_calls - self._calls_at_reset
        return {**self.stats, "activeGenerations": self.active_generations,
                "cachedPrompts": len(self.cache.prompts), "lastAnswer": self.last_answer}

    def reset_stats(self) -> None:
        self.stats = dict.fromkeys(COUNTERS, 0)
        self._calls_at_reset = self.cache.model_calls

    def forget(self, uri: str) -> None:
        self.cache.typed.forget(uri)
        self.rhythm.forget(uri)
        self.last_results.pop(uri, None)

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

    def _is_current(self, request: CompletionRequest, token: object) -> bool:
        doc = self.server.documents.get(request.uri)
        return doc is not None and doc.version == request.version and self._is_latest(request.uri, token)

    def _run(self, request: CompletionRequest, provider: Any, settings: Any,
             cancel: threading.Event) -> CompletionResult:
        with self._active_lock:
            self._active += 1
        try:
            self.cache.prompts.capacity = settings.inline.cache_size
            return run_completion(request, provider, settings, cancel, self.context_source, self.cache)
        finally:
            with self._active_lock:
                self._active -= 1

    # -- the request -----------------------------------------------------------------------
    async def complete(self, request: CompletionRequest) -> CompletionResult | None:
        """Run one request; None when superseded, stale, failed or cancelled by a newer one."""
        uri = request.uri
        self.stats["requests"] += 1
        token, cancel = self._supersede(uri)
        settings = self.server.settings
        if not request.invoked:
            self.rhythm.keystroke(uri, time.monotonic())
        try:
            reason = skip_reason(request, settings)
            if reason:
                self.stats["skipped"] += 1
                log.debug("inline completion skipped: %s", reason)
                return None
            typed = self.cache.typed.lookup(request)
            if typed:
                self.cache.typed.remember(request, typed)
                self.stats["typedHits"] += 1
                return self._answer(request, CompletionResult(items=typed, cached="typed"))
            if not request.invoked and settings.inline.debounce_ms:
                base = settings.inline.debounce_ms / 1000
                wait = self.rhythm.debounce_s(uri, base) if settings.inline.adaptive_debounce else base
                await asyncio.sleep(wait)
            if not self._is_current(request, token):
                self.stats["superseded" if not self._is_latest(uri, token) else "stale"] += 1
                return None
            provider = await self.server.provider()
            if provider is None or not self._is_current(request, token):
                return None
            self.stats["generations"] += 1
            result = await asyncio.to_thread(self._run, request, provider, settings, cancel)
            self.stats["promptHits"] += result.cached == "prompt"
            if not self._is_current(request, token):
                self.stats["superseded" if not self._is_latest(uri, token) else "stale"] += 1
                return None
            self.last_results[uri] = result
            return self._answer(request, result)
        except asyncio.CancelledError:
            cancel.set()
            self.stats["cancelled"] += 1
            raise
        except GenerationCancelled:
            self.stats["cancelled"] += 1
            return None
        except ProviderError as exc:
            self.stats["errors"] += 1
            self.server.notifier.show_once("provider", exc.message)
            return None
        except Exception:
            self.stats["errors"] += 1
            log.exception("inline completion failed")
            return None
        finally:
            if self._cancels.get(uri) is cancel:
                del self._cancels[uri]

    def _answer(self, request: CompletionRequest, result: CompletionResult) -> CompletionResult:
        self.stats["answered"] += 1
        self.last_answer = {"uri": request.uri, "version": request.version, "offset": request.offset,
                            "items": len(result.items), "cached": result.cached, "skipped": result.skipped}
        return result
