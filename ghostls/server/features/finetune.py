"""LoRA adapters on the running server: ``ghostls.setAdapter``, ``ghostls.adapterStatus`` and
the ``ghostls.finetune.adapter`` setting, applied without a restart."""

from __future__ import annotations

import logging
from typing import Any

from ghostls.finetune.service import AdapterService
from ghostls.providers.base import ProviderError
from ghostls.server.app import GhostServer, background
from ghostls.server.commands import CommandError, command
from ghostls.settings import Settings

log = logging.getLogger(__name__)


async def _apply_setting(ls: GhostServer, path: str) -> None:
    provider = await ls.provider()
    try:
        await ls.adapters.switch(provider, path)
        ls.notifier.clear("adapter")
    except ProviderError as exc:
        ls.notifier.show_once("adapter", exc.message)


def register(server: GhostServer) -> None:
    server.adapters = AdapterService()  # type: ignore[attr-defined]

    def on_settings(old: Settings, new: Settings) -> None:
        path = new.finetune.adapter.strip()
        provider_changed = server.adapters.needs_reapply(server.providers.provider)
        if path != old.finetune.adapter.strip() or provider_changed:
            server.adapters.pending = background(_apply_setting(server, path))

    server.settings_listeners.append(on_settings)

    @command(server, "ghostls.setAdapter")
    async def set_adapter(ls: GhostServer, params: dict[str, Any]) -> dict[str, Any]:
        path = params.get("path") or ""
        if not isinstance(path, str):
            raise CommandError(f"'path' must be an adapter folder (a string; empty removes the adapter), not {path!r}")
        try:
            return await ls.adapters.switch(await ls.provider(), path.strip())
        except ProviderError as exc:
            raise CommandError(exc.message) from exc

    @command(server, "ghostls.adapterStatus")
    async def adapter_status(ls: GhostServer, params: dict[str, Any]) -> dict[str, Any]:
        return await ls.adapters.settled_status()
