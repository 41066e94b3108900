"""Commands every installation has: ghostls.status."""

from __future__ import annotations

from typing import Any

from ghostls import __version__
from ghostls.server.app import GhostServer
from ghostls.server.commands import command
from ghostls.settings import to_json


def register(server: GhostServer) -> None:
    @command(server, "ghostls.status")
    async def status(ls: GhostServer, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "version": __version__,
            "positionEncoding": ls.position_encoding,
            "provider": ls.providers.status(),
            "openDocuments": len(ls.documents),
            "adapter": ls.adapters.status() if hasattr(ls, "adapters") else None,
            "settings": to_json(ls.settings),
        }
