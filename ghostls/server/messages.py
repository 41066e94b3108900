"""What the user is told: each distinct problem once, not on every keystroke."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from lsprotocol import types

log = logging.getLogger("ghostls")


class Notifier:
    """Shows errors and warnings to the user once per distinct message; logs every time."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self._shown: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def _call(self, fn: Any, *args: Any) -> None:
        loop: asyncio.AbstractEventLoop | None = getattr(self.server, "loop", None)
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is not None and running is not loop:
            loop.call_soon_threadsafe(fn, *args)
        else:
            fn(*args)

    def show_once(self, key: str, message: str, level: types.MessageType = types.MessageType.Error) -> bool:
        """Show ``message`` unless this key already showed this message.  True when shown."""
        log.log(logging.ERROR if level == types.MessageType.Error else logging.WARNING, "%s", message)
        with self._lock:
            if (key, message) in self._shown:
                return False
            self._shown = {k for k in self._shown if k[0] != key}
            self._shown.add((key, message))
        self._call(self.server.window_show_message, types.ShowMessageParams(type=level, message=f"ghostls: {message}"))
        return True

    def clear(self, key: str) -> None:
        """Forget the shown messages of ``key`` (the problem was fixed; say it again if it comes back)."""
        with self._lock:
            self._shown = {k for k in self._shown if k[0] != key}


class ClientLogHandler(logging.Handler):
    """Forwards log records to the client's log (``window/logMessage``)."""

    LEVELS = {logging.DEBUG: types.MessageType.Debug, logging.INFO: types.MessageType.Info,
              logging.WARNING: types.MessageType.Warning, logging.ERROR: types.MessageType.Error}

    def __init__(self, server: Any, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.server = server

    def emit(self, record: logging.LogRecord) -> None:
        loop = getattr(self.server, "loop", None)
        if loop is None or loop.is_closed() or not getattr(self.server, "client_ready", False):
            return
        try:
            params = types.LogMessageParams(type=self.LEVELS.get(record.levelno, types.MessageType.Log),
                                            message=self.format(record))
            loop.call_soon_threadsafe(self.server.window_log_message, params)
        except Exception:  # never let logging break the server
            pass
