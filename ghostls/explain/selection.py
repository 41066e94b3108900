"""What the user selected, checked before anything is sent to a model."""

from __future__ import annotations

from dataclasses import dataclass, field

from ghostls.indexing.languages import LanguageSpec, spec_for


class ExplainError(Exception):
    """A request that cannot be served; the message tells the user why and what to do."""

    def __init__(self, message: str, kind: str = "input") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


@dataclass(frozen=True)
class Diagnostic:
    """A problem the editor reported in the selection (for "Fix")."""

    message: str
    line: int  # 0-based
    severity: str = "error"
    source: str = ""
    code: str = ""


@dataclass(frozen=True)
class SelectionRequest:
    """The document, the selected code-point range ``[start, end)``, and what is asked."""

    text: str
    start: int
    end: int
    path: str = ""
    language: str = ""
    uri: str = ""
    version: int = 0
    question: str = ""
    diagnostics: tuple[Diagnostic, ...] = field(default_factory=tuple)

    @property
    def selected(self) -> str:
        return self.text[self.start:self.end]

    @property
    def start_line(self) -> int:
        return self.text.count("\n", 0, self.start)

    @property
    def end_line(self) -> int:
        """The last line with selected text (a selection ending at column 0 stops above it)."""
        end = self.end - 1 if self.end > self.start and self.text[self.end - 1] == "\n" else self.end
        return self.text.count("\n", 0, max(self.start, end))

    @property
    def spec(self) -> LanguageSpec | None:
        return spec_for(self.language, self.path)

    @property
    def language_name(self) -> str:
        spec = self.spec
        return spec.name if spec is not None else (self.language or "text")


def looks_binary(text: str) -> bool:
    """NUL characters, or many control characters: not source code."""
    if "\x00" in text:
        return True
    sample = text[:8192]
    if not sample:
        return False
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f\v\x1b")
    return controls > len(sample) * 0.05


def check(request: SelectionRequest, *, needs_grammar: bool = False) -> None:
    """Raise :class:`ExplainError` for an empty selection, a binary file, or (for edits) a
    language without a grammar to check the result against."""
    if looks_binary(request.text):
        raise ExplainError(f"{request.path or request.uri} looks like a binary file; only source code can be "
                           "explained or edited.", kind="binary")
    if not request.selected.strip():
        raise ExplainError("nothing is selected: select the code first.", kind="empty")
    if needs_grammar and request.spec is None:
        raise ExplainError(f"edits are not supported for {request.language or 'this file type'} "
                           f"({request.path or request.uri}): ghostls has no grammar to check the result "
                           "with. 'Explain' still works.", kind="unsupported")


def whole_lines(text: str, start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` widened to whole lines, without the last line's newline."""
    if end > start and text[end - 1] == "\n":
        end -= 1
    line_start = text.rfind("\n", 0, start) + 1
    nl = text.find("\n", end)
    return line_start, len(text) if nl == -1 else nl
