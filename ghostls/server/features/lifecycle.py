"""initialize / initialized / configuration: settings in, provider warmed up."""

from __future__ import annotations

import asyncio
import logging

from lsprotocol import types

from ghostls.server.app import GhostServer, background

log = logging.getLogger(__name__)


def _supports_configuration(server: GhostServer) -> bool:
    workspace = server.client_capabilities.workspace
    return bool(workspace and workspace.configuration)


async def pull_configuration(server: GhostServer) -> None:
    """Ask the client for the ``ghostls`` section (when it supports workspace/configuration)."""
    if not _supports_configuration(server):
        return
    try:
        result = await asyncio.wait_for(server.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section="ghostls")])), timeout=10)
    except Exception as exc:  # a client that fails the request keeps the settings it sent before
        log.warning("workspace/configuration failed: %s", exc)
        return
    if result and isinstance(result[0], dict) and result[0]:
        server.apply_settings(result[0], "workspace/configuration")


def register(server: GhostServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: GhostServer, params: types.InitializeParams) -> None:
        ls.loop = asyncio.get_running_loop()
        ls.documents.encoding = ls.position_encoding
        log.info("initialize from %s; positions in %s", getattr(params.client_info, "name", "a client"),
                 ls.position_encoding)
        ls.apply_settings(params.initialization_options, "initializationOptions")

    @server.feature(types.INITIALIZED)
    async def initialized(ls: GhostServer, params: types.InitializedParams) -> None:
        ls.client_ready = True
        await pull_configuration(ls)
        background(ls.provider())  # load the model now, not on the first keystroke

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: GhostServer, params: types.DidChangeConfigurationParams) -> None:
        settings = params.settings
        if isinstance(settings, dict) and settings:
            ls.apply_settings(settings, "workspace/didChangeConfiguration")
        else:
            await pull_configuration(ls)
        background(ls.provider())

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: GhostServer, *args: object) -> None:
        ls.client_ready = False  # nothing more goes to the client's log once it asked us to stop
        provider = ls.providers.provider
        if provider is not None:
            provider.close()
