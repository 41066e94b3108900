"""The LSP layer: thin handlers over engines that know nothing of LSP."""

from ghostls.server.app import GhostServer, create_server

__all__ = ["GhostServer", "create_server"]
