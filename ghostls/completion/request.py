"""What one inline-completion request is about, independent of LSP."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CompletionRequest:
    text: str
    offset: int  # code-point index of the cursor
    path: str = ""
    language: str = ""
    uri: str = ""
    version: int = 0
    invoked: bool = False  # explicit request (vs. automatic while typing)
    has_selection: bool = False
    # Text the editor shows as selected in its completion widget (LSP selectedCompletionInfo).
    selected_completion: str = ""

    @property
    def prefix(self) -> str:
        return self.text[: self.offset]

    @property
    def suffix(self) -> str:
        return self.text[self.offset:]

    @property
    def line_prefix(self) -> str:
        return self.prefix.rsplit("\n", 1)[-1]

    @property
    def line_suffix(self) -> str:
        return self.suffix.split("\n", 1)[0]


@dataclass(frozen=True)
class Completion:
    """One suggestion: ``text`` replaces ``text[start:end]`` (code-point offsets)."""

    text: str
    start: int
    end: int


@dataclass
class CompletionResult:
    items: list[Completion] = field(default_factory=list)
    skipped: str = ""  # why nothing was generated, when nothing was
    timings: dict[str, float] = field(default_factory=dict)
    prompt_tokens: int = 0
    generated_text: str = ""
    request_id: str = ""
    prompt: Any = None  # the RenderedPrompt the model received (for the prompt / "why" views)
    cached: str = ""  # "typed" (continued the suggestion on screen), "prompt" (LRU hit), or ""
    model_calls: int = 0  # generations started for this request
    shape: str = ""  # "line" | "block"
    reranked: bool = False  # alternatives were ranked by how well they lead into the code below
    alternatives: list[tuple[str, float]] = field(default_factory=list)  # (text, score), best first
