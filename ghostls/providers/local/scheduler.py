"""One model, many requests: generations run one at a time, the newest waiting request first.

An editor sends a completion on nearly every keystroke; by the time the model is free, the
newest request is the one the user still wants.  Waiting requests whose ``cancel`` event is
set leave the queue (raising GenerationCancelled) without ever touching the model.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ghostls.providers.base import GenerationCancelled

# How often a waiting request looks at its own cancel event (seconds).  Cancel events belong to
# callers and cannot wake our condition variable, so waiting requests poll them.
_CANCEL_POLL_S = 0.02


class ModelScheduler:
    """A priority lock: the most recently submitted live request gets the model next."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._busy = False
        self._waiting: list[tuple[int, int]] = []  # heap of (-ticket, ticket)
        self._tickets = itertools.count()
        self.order: list[int] = []  # tickets in the order they got the model (last 64)
        self.queued_listeners: list = []  # called with each ticket that starts waiting

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)

    def ticket(self) -> int:
        """A number for a new request; higher numbers are newer."""
        return next(self._tickets)

    def acquire(self, ticket: int, cancel: threading.Event) -> None:
        with self._cond:
            heapq.heappush(self._waiting, (-ticket, ticket))
            for listener in list(self.queued_listeners):
                listener(ticket)
            try:
                while self._busy or self._waiting[0][1] != ticket:
                    if cancel.is_set():
                        raise GenerationCancelled()
                    self._cond.wait(_CANCEL_POLL_S)
                if cancel.is_set():
                    raise GenerationCancelled()
            except BaseException:
                self._remove(ticket)
                self._cond.notify_all()
                raise
            heapq.heappop(self._waiting)
            self._busy = True
            self.order.append(ticket)
            del self.order[:-64]

    def release(self) -> None:
        with self._cond:
            self._busy = False
            self._cond.notify_all()

    def _remove(self, ticket: int) -> None:
        self._waiting = [w for w in self._waiting if w[1] != ticket]
        heapq.heapify(self._waiting)

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._busy

    @contextmanager
    def hold(self, cancel: threading.Event, ticket: int | None = None) -> Iterator[int]:
        ticket = self.ticket() if ticket is None else ticket
        self.acquire(ticket, cancel)
        try:
            yield ticket
        finally:
            self.release()
