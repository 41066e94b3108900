"""The provider interface: where generated text comes from.

A provider turns a prompt into a stream of text chunks.  Completions and explanations use
the same two calls: :meth:`Provider.render` lays a :class:`PromptParts` (prefix, suffix,
context) out for the model, and :meth:`Provider.stream` generates from a rendered prompt,
stopping as soon as ``cancel`` is set or the consumer stops iterating.  Providers are
synchronous; the server runs them in a worker thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


class ProviderError(Exception):
    """A failure the user can act on.  ``message`` says what happened and how to fix it."""

    def __init__(self, message: str, *, kind: str = "error", retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.retryable = retryable


class GenerationCancelled(Exception):
    """Generation stopped because the request was cancelled or superseded."""


@dataclass(frozen=True)
class GenerationParams:
    max_new_tokens: int = 64
    temperature: float = 0.0
    stop: tuple[str, ...] = ()
    seed: int | None = None
    # Greedy alternatives: at the first choice that writes code (not whitespace, not text that
    # token healing forces), take the ``branch``-th most likely token instead of the best one,
    # then go on greedily.  0 = plain greedy.  Gives distinct, likely candidates for reranking.
    branch: int = 0


@dataclass(frozen=True)
class Snippet:
    """A piece of context for the prompt, with where it came from and why."""

    text: str
    source: str  # e.g. "definition", "similar", "recent-edit", "imports"
    path: str = ""
    start_line: int = 0
    end_line: int = 0
    score: float = 0.0


@dataclass(frozen=True)
class PromptParts:
    """What the completion pipeline wants the model to see, before layout."""

    prefix: str
    suffix: str = ""
    path: str = ""
    language: str = ""
    snippets: tuple[Snippet, ...] = ()
    repo_name: str = ""


@dataclass(frozen=True)
class ChatMessage:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True)
class Segment:
    """A span of the rendered prompt text and where it came from (for the prompt view)."""

    kind: str  # "prefix" | "suffix" | "snippet" | "marker" | "instruction"
    start: int
    end: int
    tokens: int = 0
    path: str = ""
    start_line: int = 0
    end_line: int = 0
    score: float = 0.0
    source: str = ""


@dataclass(frozen=True)
class RenderedPrompt:
    """A prompt laid out for one model: raw text (base models) or chat messages."""

    text: str = ""
    messages: tuple[ChatMessage, ...] = ()
    system: str = ""
    segments: tuple[Segment, ...] = ()
    token_count: int = 0
    profile: str = ""
    # The completion must be cleaned of these (chat models echo fences and prose).
    strip_fences: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class TokenCounter(Protocol):
    def count(self, text: str) -> int: ...


@runtime_checkable
class Provider(Protocol):
    name: str

    def load(self) -> None:
        """Make the provider ready (load weights, build a client).  Raises ProviderError."""

    @property
    def context_window(self) -> int: ...

    @property
    def counter(self) -> TokenCounter: ...

    def render(self, parts: PromptParts, budget: int) -> RenderedPrompt:
        """Lay out ``parts`` for this model within ``budget`` prompt tokens."""

    def render_chat(self, messages: list[ChatMessage]) -> RenderedPrompt: ...

    def stream(self, prompt: RenderedPrompt, params: GenerationParams,
               cancel: threading.Event) -> Iterator[str]:
        """Yield generated text chunks; stop when ``cancel`` is set (raise GenerationCancelled)."""

    def status(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


class ApproximateCounter:
    """Token counter for remote models whose tokenizer we do not have (about 3.5 chars/token)."""

    def count(self, text: str) -> int:
        return (len(text) * 2 + 6) // 7
