"""Caches that answer without the model.

* :class:`TypedAhead` -- the user is typing what the suggestion on screen says: answer with
  the rest of it at once (no debounce, no model).
* :class:`PromptLRU` -- recent raw model outputs keyed by the exact prompt and generation
  parameters; post-processing is re-run for the request at hand (it depends on the suffix,
  which a prefix-only prompt does not contain).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from ghostls.completion.request import Completion, CompletionRequest


@dataclass(frozen=True)
class _Shown:
    prefix: str
    suffix: str
    items: tuple[Completion, ...]


class TypedAhead:
    """The last suggestions shown per document, to continue them while the user types them."""

    def __init__(self) -> None:
        self._shown: dict[str, _Shown] = {}
        self._lock = threading.Lock()

    def remember(self, request: CompletionRequest, items: list[Completion]) -> None:
        key = request.uri or request.path
        with self._lock:
            if items:
                self._shown[key] = _Shown(request.prefix, request.suffix, tuple(items))
            else:
                self._shown.pop(key, None)

    def forget(self, uri: str) -> None:
        with self._lock:
            self._shown.pop(uri, None)

    def lookup(self, request: CompletionRequest) -> list[Completion] | None:
        """The rest of the shown suggestions, if the user typed a prefix of them since."""
        with self._lock:
            shown = self._shown.get(request.uri or request.path)
        if shown is None or len(request.prefix) <= len(shown.prefix):
            return None
        if request.suffix != shown.suffix or not request.prefix.startswith(shown.prefix):
            return None
        typed = request.prefix[len(shown.prefix):]
        out: list[Completion] = []
        for item in shown.items:
            if item.text.startswith(typed) and len(item.text) > len(typed) and item.text[len(typed):].strip():
                width = item.end - item.start
                out.append(Completion(item.text[len(typed):], request.offset, request.offset + width))
        return out or None


class PromptLRU:
    """Least-recently-used map: (prompt text, generation parameters) -> raw model outputs."""

    def __init__(self, capacity: int = 128) -> None:
        self.capacity = capacity
        self._data: OrderedDict[tuple, tuple[str, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> tuple[str, ...] | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: tuple, outputs: tuple[str, ...]) -> None:
        with self._lock:
            self._data[key] = outputs
            self._data.move_to_end(key)
            while len(self._data) > self.capacity:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


class CompletionCache:
    def __init__(self, capacity: int = 128) -> None:
        self.typed = TypedAhead()
        self.prompts = PromptLRU(capacity)
        self.model_calls = 0  # generations started through this cache's pipeline (cancelled ones too)
