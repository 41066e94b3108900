"""How much to suggest: the rest of the line, or a block of whole lines.

Where the language has a grammar, the syntax tree of the code around the cursor decides
(:func:`tree_shape`, reading :func:`ghostls.completion.syntax.cursor_syntax`):

* inside a comment, a string (a docstring too), an open ``(``/``[`` (arguments, a condition, a
  subscript, a continuation line of a call) or after code on the cursor's line: the rest of the line;
* right after a body opener (``def f():``, ``if (x) {``, ``=> {``, ``case 1:``): a block, up to
  ``max_lines`` lines, ending where a line dedents to the opener's indentation;
* on a blank line of an empty body with code after it in the enclosing definition: the same;
* on a blank line inside a body otherwise: whole lines, ending at the end of the enclosing
  definition (the nearest function/class/method around the cursor), or at top level.

The text rules (:func:`text_shape`: indentation, brackets and the characters that end lines)
decide where there is no grammar, where parsing fails, and where the tree cannot tell: a
collection literal written over several lines, an ``=>`` at the end of a line, code after the
cursor on a blank-prefixed line, a body the parser could not attach to any definition.
``Shape.decided_by`` says which did.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ghostls.completion import syntax
from ghostls.completion.request import CompletionRequest
from ghostls.completion.syntax import indent_width

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
    # What decided: "syntax tree" or "text".  (``reason`` keeps the same words either way:
    # pipeline.blind_shape reads it.)
    decided_by: str = "text"


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


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


TREE = "syntax tree"
_LINE_REASONS = {syntax.COMMENT: "in a comment", syntax.STRING: "in a string",
                 syntax.EXPRESSION: "inside brackets", syntax.STATEMENT: "mid-statement"}


def tree_shape(request: CompletionRequest, max_lines: int) -> Shape | None:
    """The shape the syntax tree says, or None (no grammar, or the tree cannot tell)."""
    found = syntax.cursor_syntax(request)
    if found is None:
        return None
    indent = _indent(request.line_prefix)
    kind = found.kind
    if kind in _LINE_REASONS:
        return Shape("line", 1, indent, reason=_LINE_REASONS[kind], decided_by=TREE)
    if kind == syntax.OPENER:
        return Shape("block", max_lines, indent, found.header_indent, "after a block opener",
                     found.definition_indent, TREE)
    if kind == syntax.EMPTY_BODY:
        return Shape("block", max_lines, indent, found.header_indent, "empty body", found.definition_indent, TREE)
    floor = found.definition_indent
    return Shape("block", max_lines, indent, floor, "blank line in a body" if floor >= 0 else "top level",
                 floor, TREE)


def decide_shape(request: CompletionRequest, max_lines: int) -> Shape:
    return tree_shape(request, max_lines) or text_shape(request, max_lines)


def text_shape(request: CompletionRequest, max_lines: int) -> Shape:
    """The shape from indentation and the characters that end lines (no grammar needed)."""
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
