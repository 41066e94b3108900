"""How much to suggest: the rest of the line, or a block of whole lines.

* Mid-statement (code before the cursor on its line): the rest of the line.  Inside an
  unclosed bracket the syntax tree says "expression", which is also one line.
* Right after a block opener (``def f():``, ``if (x) {``, ``=> {``) or on an empty line of an
  empty body: the body, up to ``max_lines`` lines; the block ends where a line dedents to the
  opener's indentation.
* On a blank line inside an existing body: whole lines up to ``max_lines``, ending at the end of
  the enclosing definition (a line at or left of the ``def``/``function``/``fn`` header).

The decision is indentation- and bracket-based text analysis, refined by the syntax tree
(:mod:`ghostls.completion.syntax`) where the language has a grammar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ghostls.completion.request import CompletionRequest

BLOCK_OPENERS = (":", "{", "(", "[", "=>", " do", " then")
# Openers that start a body when the cursor sits right after them (brackets there are arguments).
BODY_OPENERS = (":", "{", "=>", " do", " then")
CLOSERS = ")]}"
_DEFINITION = re.compile(
    r"^\s*(?:export\s+|pub(?:\([^)]*\))?\s+|async\s+|static\s+|public\s+|private\s+|protected\s+|"
    r"default\s+|override\s+|final\s+|abstract\s+|unsafe\s+)*"
    r"(?:def|class|function|func|fn|impl|trait|interface|struct|enum|module|namespace|object)\b"
    r"|^\s*(?:const|let|var)\s+\w+\s*=\s*(?:async\s*)?(?:function\b|\([^)]*\)\s*=>|\w+\s*=>)"
    r"|^\s*[\w<>\[\],.*&: ]+\s+\**\w+\s*\([^;]*\)\s*(?:const\s*)?(?:throws [\w, .]+)?\{?\s*$")
SCAN_LIMIT = 2000  # lines looked at above the cursor


@dataclass(frozen=True)
class Shape:
    mode: str  # "line" | "block"
    max_lines: int
    base_indent: str = ""  # indentation of the line the cursor is on
    # A completion line (after the first) whose indentation is <= floor ends the block;
    # -1: no floor (top level: a new top-level item after a blank line ends it).
    floor: int = -1
    reason: str = ""  # why this shape (logged)
    # The enclosing definition's indentation: leaving it always ends the suggestion, even
    # where the model's text would join the code below again (see cut_block_end).
    outer_floor: int = -1


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def indent_width(line: str) -> int:
    return len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip(" "))


def previous_code_line(prefix: str) -> str:
    for line in reversed(prefix.split("\n")[:-1][-SCAN_LIMIT:]):
        if line.strip():
            return line
    return ""


def next_code_line(suffix: str, include_current: bool) -> str:
    lines = suffix.split("\n")[:SCAN_LIMIT]
    for i, line in enumerate(lines):
        if i == 0 and not include_current:
            continue
        if line.strip():
            return line
    return ""


def opens_block(line: str, openers: tuple[str, ...] = BLOCK_OPENERS) -> bool:
    code = strip_line_comment(line).rstrip()
    return code.endswith(openers)


def strip_line_comment(line: str) -> str:
    """The line without a trailing ``#`` / ``//`` comment (not inside a string; approximate)."""
    quote = ""
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif ch == "#" or line.startswith("//", i):
            return line[:i]
        i += 1
    return line


def cursor_indent(request: CompletionRequest) -> int:
    """Indentation the code at the cursor belongs to (for a blank line prefix)."""
    line_prefix, line_suffix = request.line_prefix, request.line_suffix
    if line_prefix:
        return indent_width(line_prefix + ("x" if not line_suffix.strip() else line_suffix))
    if line_suffix.strip():
        return indent_width(line_suffix)
    nxt = next_code_line(request.suffix, include_current=False)
    prev = previous_code_line(request.prefix)
    widths = [indent_width(x) for x in (prev, nxt) if x]
    if prev and opens_block(prev):
        widths.append(indent_width(prev) + 1)
    return max(widths) if widths else 0


def enclosing_floor(prefix: str, indent: int) -> int:
    """Indentation of the enclosing definition header above the cursor, or of the outermost
    enclosing header; -1 at top level."""
    target = indent
    floor = -1
    for line in reversed(prefix.split("\n")[:-1][-SCAN_LIMIT:]):
        if not line.strip():
            continue
        width = indent_width(line)
        if width >= target:
            continue
        target = width
        if opens_block(line) or _DEFINITION.match(line):
            floor = width
            if _DEFINITION.match(line):
                return floor
        if width == 0:
            break
    return floor


def decide_shape(request: CompletionRequest, max_lines: int) -> Shape:
    line_prefix, line_suffix = request.line_prefix, request.line_suffix
    indent = _indent(line_prefix)
    rest = line_suffix.strip()
    if line_prefix.strip():
        if opens_block(line_prefix, BODY_OPENERS) and rest in ("", "}"):
            width = indent_width(line_prefix)
            return Shape("block", max_lines, indent, width, "after a block opener",
                         enclosing_floor(request.prefix, width + 1))
        return Shape("line", 1, indent, reason="mid-statement")
    prev = previous_code_line(request.prefix)
    nxt = line_suffix if rest else next_code_line(request.suffix, include_current=False)
    here = cursor_indent(request)
    floor = enclosing_floor(request.prefix, here)
    if prev and opens_block(prev) and here > indent_width(prev) and nxt and (
            floor < indent_width(nxt) <= indent_width(prev)):
        # An empty body with code after it: just the body.  (With nothing after it in the
        # enclosing definition, the user is writing on: the definition is the limit.)
        return Shape("block", max_lines, indent, indent_width(prev), "empty body", floor)
    return Shape("block", max_lines, indent, floor, "blank line in a body" if floor >= 0 else "top level", floor)
