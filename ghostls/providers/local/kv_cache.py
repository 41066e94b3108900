"""Prefix key/value caches of recent prompts, so a new prompt computes only its new tokens.

Typing one character at the cursor changes only the end of the prompt: with token healing
even the last prompt token changes, so a cache is reused up to the longest common token
prefix and cropped there.  Entries are bounded in bytes and evicted least recently used.
A cache is *taken* out of the store for one generation (it grows in place while decoding)
and *put* back afterwards with the tokens it then holds.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


def common_prefix_len(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def cache_bytes(cache: Any) -> int:
    """Bytes held by a transformers ``Cache`` (keys and values of every layer)."""
    total = 0
    for layer in getattr(cache, "layers", ()):
        for name in ("keys", "values"):
            tensor = getattr(layer, name, None)
            if tensor is not None and hasattr(tensor, "numel"):
                total += tensor.numel() * tensor.element_size()
    return total


def is_croppable(cache: Any) -> bool:
    """Only full-attention layers can be cut back to a shorter prefix."""
    layers = getattr(cache, "layers", None)
    if not layers:
        return False
    return all(getattr(layer, "is_croppable", True) and not getattr(layer, "is_sliding", False)
               for layer in layers)


def fork(cache: Any, length: int) -> Any | None:
    """A new cache holding the first ``length`` tokens of ``cache``, without copying them.

    A dynamic layer keeps views of the entry's tensors and replaces them (``torch.cat``) on its
    next update, so the entry itself is never written.  None for other kinds of layers.
    """
    import copy

    from transformers.cache_utils import DynamicLayer

    layers = getattr(cache, "layers", None)
    if not layers or any(type(layer) is not DynamicLayer for layer in layers):
        return None
    new = copy.copy(cache)
    new.layers = []
    for layer in layers:
        twin = copy.copy(layer)
        if getattr(layer, "is_initialized", False):
            twin.keys = layer.keys[..., :length, :]
            twin.values = layer.values[..., :length, :]
        new.layers.append(twin)
    return new


@dataclass
class CacheHit:
    cache: Any  # a transformers Cache holding the first ``reused`` tokens of the prompt, or None
    reused: int


@dataclass
class PrefixCacheStats:
    hits: int = 0
    misses: int = 0
    evictions: int = 0
    reused_tokens: int = 0
    entries: int = 0
    bytes: int = 0
    limit_bytes: int = 0


@dataclass
class _Entry:
    tokens: list[int]
    cache: Any
    nbytes: int


@dataclass
class PrefixCache:
    """An LRU store of (token ids -> key/value cache), bounded by ``limit_bytes``."""

    limit_bytes: int
    min_reuse: int = 1
    _entries: OrderedDict[int, _Entry] = field(default_factory=OrderedDict)
    _next_key: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    stats: PrefixCacheStats = field(default_factory=PrefixCacheStats)

    @property
    def enabled(self) -> bool:
        return self.limit_bytes > 0

    def total_bytes(self) -> int:
        return sum(e.nbytes for e in self._entries.values())

    def take(self, ids: Sequence[int]) -> CacheHit:
        """Remove and return the cache sharing the longest prefix with ``ids``, cropped to it.

        At least one prompt token is always left to compute (its logits start generation).
        """
        if not self.enabled:
            return CacheHit(None, 0)
        with self._lock:
            best_key, best_len = None, 0
            for key, entry in self._entries.items():
                n = common_prefix_len(entry.tokens, ids)
                if n > best_len:
                    best_key, best_len = key, n
            usable = min(best_len, len(ids) - 1)
            if best_key is None or usable < self.min_reuse:
                self.stats.misses += 1
                return CacheHit(None, 0)
            entry = self._entries[best_key]
            forked = fork(entry.cache, usable)
            if forked is not None:  # the entry stays for other prompts that share more of it
                self._entries.move_to_end(best_key)
                cache = forked
            else:
                del self._entries[best_key]
                cache = entry.cache
                held = int(cache.get_seq_length())
                if held > usable:
                    cache.crop(-(held - usable))
        self.stats.hits += 1
        self.stats.reused_tokens += usable
        return CacheHit(cache, usable)

    def put(self, tokens: Sequence[int], cache: Any) -> None:
        """Keep ``cache`` (holding the key/values of ``tokens``) as the most recent entry."""
        if not self.enabled or cache is None or not is_croppable(cache):
            return
        held = int(cache.get_seq_length())
        tokens = list(tokens[:held])
        if not tokens:
            return
        nbytes = cache_bytes(cache)
        if nbytes > self.limit_bytes:
            log.debug("kv cache of %d tokens (%d bytes) is larger than the limit; not kept", held, nbytes)
            return
        with self._lock:
            # An entry whose tokens are a prefix of the new one is redundant.
            for key in [k for k, e in self._entries.items()
                        if common_prefix_len(e.tokens, tokens) == len(e.tokens)]:
                del self._entries[key]
            self._entries[self._next_key] = _Entry(tokens, cache, nbytes)
            self._next_key += 1
            self._evict()

    def _evict(self) -> None:
        total = self.total_bytes()
        while total > self.limit_bytes and self._entries:
            _, entry = self._entries.popitem(last=False)
            total -= entry.nbytes
            self.stats.evictions += 1

    def resize(self, limit_bytes: int) -> None:
        with self._lock:
            self.limit_bytes = limit_bytes
            self._evict()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            self.stats.entries = len(self._entries)
            self.stats.bytes = self.total_bytes()
            self.stats.limit_bytes = self.limit_bytes
            return dict(vars(self.stats))

    def entry_lengths(self) -> list[int]:
        """Token counts of the entries, least recently used first (for tests and status)."""
        with self._lock:
            return [len(e.tokens) for e in self._entries.values()]


class StaticSlot:
    """One preallocated (static) cache, reused across requests by cropping it to the common prefix.

    Used with ``torch.compile``: the compiled decode step (CUDA graphs) needs the cache tensors to
    keep their addresses, so there is exactly one cache and it is never reallocated.
    """

    def __init__(self, make: Any) -> None:
        self._make = make
        self._cache: Any = None
        self._tokens: list[int] = []
        self.stats = PrefixCacheStats()

    enabled = True

    def take(self, ids: Sequence[int]) -> CacheHit:
        if self._cache is None:
            self._cache = self._make()
        cache = self._cache
        usable = min(common_prefix_len(self._tokens, ids), len(ids) - 1)
        self._tokens = []  # until ``put``: the cache is being written
        held = int(cache.get_seq_length())
        if usable <= 0:
            if held:
                cache.reset()
            self.stats.misses += 1
            return CacheHit(cache, 0)
        if held > usable:
            cache.crop(-(held - usable))
        self.stats.hits += 1
        self.stats.reused_tokens += usable
        return CacheHit(cache, usable)

    def put(self, tokens: Sequence[int], cache: Any) -> None:
        if cache is self._cache:
            self._tokens = list(tokens[:int(cache.get_seq_length())])

    def clear(self) -> None:
        import torch

        self._tokens = []
        if self._cache is not None and int(self._cache.get_seq_length()):
            with torch.inference_mode():  # its tensors were made under inference mode
                self._cache.reset()

    def resize(self, limit_bytes: int) -> None:
        pass

    def snapshot(self) -> dict[str, Any]:
        nbytes = cache_bytes(self._cache) if self._cache is not None else 0
        return {**vars(self.stats), "entries": 1 if self._tokens else 0, "bytes": nbytes,
                "limit_bytes": nbytes, "static": True}

    def entry_lengths(self) -> list[int]:
        return [len(self._tokens)] if self._tokens else []
