"""The server's adapter state: which adapter is asked for, which is active, and why not.

Switches run one at a time off the event loop (``asyncio.to_thread``); the provider's own
scheduler keeps them from overlapping a generation.  When the provider is rebuilt (another
model, device ...), the requested adapter is applied to the new one.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ghostls.finetune.adapters import active_adapter, set_adapter, supports_adapters
from ghostls.providers.base import ProviderError

log = logging.getLogger(__name__)


class AdapterService:
    def __init__(self) -> None:
        self.requested = ""  # the adapter asked for by the setting or the last setAdapter command
        self.error = ""
        self._provider: Any = None  # the provider the current state applies to
        self._lock = asyncio.Lock()
        self.pending: asyncio.Task | None = None  # a switch asked for by a settings change

    async def settled_status(self) -> dict[str, Any]:
        """The status once a switch started by a settings change has finished."""
        pending = self.pending
        if pending is not None and not pending.done():
            await asyncio.wait([pending])
        return self.status()

    async def switch(self, provider: Any, path: str) -> dict[str, Any]:
        """Apply ``path`` ("" removes) to ``provider``; raises ProviderError with the reason."""
        async with self._lock:
            self.requested = path
            self._provider = provider
            try:
                if provider is None:
                    raise ProviderError("No model is loaded (see ghostls.status), so no adapter can be applied.",
                                        kind="adapter")
                if not path and not supports_adapters(provider):
                    self.error = ""
                    return self.status()
                await asyncio.to_thread(set_adapter, provider, path)
            except ProviderError as exc:
                self.error = exc.message
                raise
            self.error = ""
            return self.status()

    def needs_reapply(self, provider: Any) -> bool:
        """True when ``provider`` is new and an adapter is asked for."""
        return bool(self.requested) and provider is not None and provider is not self._provider

    def status(self) -> dict[str, Any]:
        active = active_adapter(self._provider) if self._provider is not None else None
        return {"requested": self.requested or None, "active": active.as_json() if active else None,
                "error": self.error or None}
