"""The ghostls language server: state, and registration of the feature modules."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from ghostls import __version__
from ghostls.documents import UTF8, UTF16, UTF32, DocumentStore
from ghostls.providers.base import Provider
from ghostls.server.messages import ClientLogHandler, Notifier
from ghostls.server.progress import ProgressReporter
from ghostls.server.provider_service import ProviderService
from ghostls.settings import Settings, parse_settings

log = logging.getLogger(__name__)

_ENCODINGS = {types.PositionEncodingKind.Utf8: UTF8, types.PositionEncodingKind.Utf16: UTF16,
              types.PositionEncodingKind.Utf32: UTF32}


class GhostProtocol(LanguageServerProtocol):
    """Negotiates positions in UTF-8 when the client offers it, else UTF-16 (the LSP default)."""

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams):  # type: ignore[override]
        general = params.capabilities.general
        if general is not None and general.position_encodings:
            offered = list(general.position_encodings)
            general.position_encodings = [types.PositionEncodingKind.Utf8] if (
                types.PositionEncodingKind.Utf8 in offered) else None  # None: pygls picks UTF-16
        return (yield from super().lsp_initialize(params))


class GhostServer(LanguageServer):
    """Server state shared by the feature modules."""

    def __init__(self) -> None:
        super().__init__("ghostls", __version__, protocol_cls=GhostProtocol,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.settings = Settings()
        self.documents = DocumentStore()
        self.notifier = Notifier(self)
        self.client_ready = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.settings_listeners: list[Callable[[Settings, Settings], None]] = []
        self.providers = ProviderService(
            on_error=lambda message: self.notifier.show_once("provider", message),
            on_ready=self._provider_ready,
            progress_factory=lambda title: ProgressReporter(self, title))
        self.log_handler = ClientLogHandler(self)
        logging.getLogger("ghostls").addHandler(self.log_handler)

    @property
    def position_encoding(self) -> str:
        try:
            return _ENCODINGS.get(self.workspace.position_encoding, UTF16)  # type: ignore[arg-type]
        except RuntimeError:  # before initialize
            return UTF16

    def apply_settings(self, raw: Any, source: str) -> None:
        """Replace the settings whole; invalid values are reported once and replaced by defaults."""
        settings, problems = parse_settings(raw if raw is not None else {})
        if problems:
            self.notifier.show_once("settings", f"Invalid settings ({source}): " + "; ".join(problems),
                                    types.MessageType.Warning)
        else:
            self.notifier.clear("settings")
        old, self.settings = self.settings, settings
        logging.getLogger("ghostls").setLevel(settings.log_level.upper())
        if self.providers.configure(settings):
            self.notifier.clear("provider")
        for listener in self.settings_listeners:
            try:
                listener(old, settings)
            except Exception:
                log.exception("settings listener failed")

    async def provider(self) -> Provider | None:
        return await self.providers.ready()

    def _provider_ready(self, provider: Provider) -> None:
        status = provider.status()
        log.info("provider ready: %s", {k: status.get(k) for k in ("provider", "model", "device", "dtype",
                                                                 "profile", "loadSeconds")})

    def report_server_error(self, error: Exception, source: Any) -> None:  # type: ignore[override]
        log.error("server error (%s): %s", getattr(source, "__name__", source), error)


FeatureModule = Callable[[GhostServer], None]


def create_server() -> GhostServer:
    from ghostls.server.features import register_all

    server = GhostServer()
    register_all(server)
    return server


def background(coro: Any) -> asyncio.Task:
    """Run a coroutine in the background, logging (not raising) its failure."""
    task = asyncio.ensure_future(coro)

    def done(t: asyncio.Task) -> None:
        if not t.cancelled() and t.exception() is not None:
            log.error("background task failed: %r", t.exception())

    task.add_done_callback(done)
    return task
