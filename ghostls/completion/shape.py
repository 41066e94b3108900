"""How much to suggest: the rest of the line, or a whole block."""

from __future__ import annotations

from dataclasses import dataclass

from ghostls.completion.request import CompletionRequest

BLOCK_OPENERS = (":", "{", "(", "[", "=>")


@dataclass(frozen=True)
class Shape:
    mode: str  # "line" | "block"
    max_lines: int
    base_indent: str = ""  # indentation of the line the cursor is on


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def previous_code_line(prefix: str) -> str:
    for line in reversed(prefix.split("\n")[:-1]):
        if line.strip():
            return line
    return ""


def decide_shape(request: CompletionRequest, max_lines: int) -> Shape:
    line_prefix, line_suffix = request.line_prefix, request.line_suffix
    indent = _indent(line_prefix)
    if line_prefix.strip():
        opens_block = line_prefix.rstrip().endswith(BLOCK_OPENERS) and not line_suffix.strip()
        return Shape("block" if opens_block else "line", max_lines if opens_block else 1, indent)
    previous = previous_code_line(request.prefix).rstrip()
    if previous.endswith(BLOCK_OPENERS) and len(indent) > len(_indent(previous)):
        return Shape("block", max_lines, indent)
    return Shape("line", 1, indent)
