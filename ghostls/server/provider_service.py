"""Owns the current provider: builds it from settings, loads it off the event loop, reports."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from ghostls.providers.base import Provider, ProviderError
from ghostls.providers.factory import create_provider, provider_key
from ghostls.settings import Settings

log = logging.getLogger(__name__)


class ProviderService:
    """One provider at a time; replaced when the settings that shape it change."""

    def __init__(self, on_error: Callable[[str], None], on_ready: Callable[[Provider], None],
                 progress_factory: Callable[[str], Any]) -> None:
        self._on_error = on_error
        self._on_ready = on_ready
        self._progress_factory = progress_factory
        self._key: tuple | None = None
        self._provider: Provider | None = None
        self._load_task: asyncio.Task | None = None
        self.error: str = ""

    @property
    def provider(self) -> Provider | None:
        return self._provider

    def configure(self, settings: Settings) -> bool:
        """Adopt ``settings``; a new provider is made (and the old closed) when needed."""
        key = provider_key(settings)
        if key == self._key and (self._provider is not None or self.error):
            return False
        old, self._provider, self._key, self.error = self._provider, None, key, ""
        if self._load_task is not None and not self._load_task.done():
            self._load_task.cancel()
        self._load_task = None
        if old is not None:
            try:
                old.close()
            except Exception:  # pragma: no cover - best effort
                log.exception("closing the previous provider failed")
        progress = self._progress_factory("Loading model")
        try:
            self._provider = create_provider(settings, progress.report)
        except ProviderError as exc:
            self._fail(exc.message)
            progress.end(exc.message)
        else:
            self._progress = progress
        return True

    def _fail(self, message: str) -> None:
        self.error = message
        self._on_error(message)

    async def ready(self) -> Provider | None:
        """The loaded provider, loading it first if needed; None when it cannot load."""
        provider = self._provider
        if provider is None:
            return None
        if self._load_task is None:
            self._load_task = asyncio.ensure_future(self._load(provider))
        try:
            return await asyncio.shield(self._load_task)
        except asyncio.CancelledError:
            if self._load_task.cancelled():
                return None
            raise

    async def _load(self, provider: Provider) -> Provider | None:
        progress = getattr(self, "_progress", None)
        try:
            await asyncio.to_thread(provider.load)
        except ProviderError as exc:
            if provider is self._provider:
                self._fail(exc.message)
            if progress:
                progress.end("failed")
            return None
        except Exception as exc:  # unexpected: still a message, never a dead server
            log.exception("loading the provider failed")
            if provider is self._provider:
                self._fail(f"Could not load the model: {exc}")
            if progress:
                progress.end("failed")
            return None
        if progress:
            progress.end("ready")
        if provider is self._provider:
            self._on_ready(provider)
        return provider

    def status(self) -> dict[str, Any]:
        base: dict[str, Any] = {}
        state = "none"
        if self._provider is not None:
            base.update(self._provider.status())
            loading = self._load_task is not None and not self._load_task.done()
            state = "loading" if loading else ("ready" if base.get("loaded") else "idle")
        if self.error:
            state = "error"
        base.update(state=state, error=self.error or None)
        return base
