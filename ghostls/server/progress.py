"""``$/progress`` reports that any thread can send."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from lsprotocol import types


class ProgressReporter:
    """One work-done progress: begun on the first report, ended once.  Thread-safe."""

    def __init__(self, server: Any, title: str) -> None:
        self.server = server
        self.title = title
        self.token = f"ghostls-{uuid.uuid4().hex[:12]}"
        self._state = "new"  # new -> creating -> begun -> ended
        self._pending: list[tuple[str, Any]] = []

    def _supported(self) -> bool:
        caps = getattr(self.server, "client_capabilities", None)
        window = getattr(caps, "window", None) if caps else None
        return bool(window and window.work_done_progress)

    def _run(self, fn: Any, *args: Any) -> None:
        loop: asyncio.AbstractEventLoop | None = getattr(self.server, "loop", None)
        if loop is None or loop.is_closed():
            return
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if current is loop:
            fn(*args)
        else:
            loop.call_soon_threadsafe(fn, *args)

    def report(self, message: str, percent: int | None = None) -> None:
        self._run(self._report, message, percent)

    def end(self, message: str = "") -> None:
        self._run(self._end, message)

    def _report(self, message: str, percent: int | None) -> None:
        if self._state == "ended" or not self._supported():
            return
        if self._state == "new":
            self._state = "creating"
            self._pending.append(("report", (message, percent)))
            self.server.work_done_progress.create(self.token, callback=lambda *a: self._begin())
            return
        if self._state == "creating":
            self._pending.append(("report", (message, percent)))
            return
        self.server.work_done_progress.report(
            self.token, types.WorkDoneProgressReport(message=message, percentage=percent))

    def _begin(self) -> None:
        pending, self._pending = self._pending, []
        first = pending[0][1] if pending else ("", None)
        self.server.work_done_progress.begin(
            self.token, types.WorkDoneProgressBegin(title=self.title, message=first[0],
                                                    percentage=first[1], cancellable=False))
        self._state = "begun"
        for kind, args in pending[1:]:
            if kind == "report":
                self._report(*args)
            else:
                self._end(*args)

    def _end(self, message: str) -> None:
        if self._state == "creating":
            self._pending.append(("end", (message,)))
            return
        if self._state == "begun":
            self.server.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
        self._state = "ended"
