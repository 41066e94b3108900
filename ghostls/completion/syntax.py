"""Syntax-tree checks for suggestions, on a window of the document around the cursor.

Parsing a 5,000-line file twice per keystroke would cost tens of milliseconds, so the checks
parse only the top-level item around the cursor (from the nearest line above that starts at
column 0 to the next one below), once without and once with the suggestion.  Both parses see
the same window, so errors caused by cutting the window cancel out.
"""

from __future__ import annotations

import logging
from typing import Any

from ghostls.completion.request import CompletionRequest

log = logging.getLogger(__name__)

WINDOW_LINES = 400
_CONTINUATIONS = ("else", "elif", "except", "finally", "catch", "case", "default", "}", ")", "]",
                  "#", "//", "/*", "*", "@")


def _language(request: CompletionRequest) -> Any:
    try:
        from ghostls.indexing.languages import spec_for
    except ImportError:  # pragma: no cover - the indexing package is part of ghostls
        return None
    try:
        return spec_for(request.language, request.path)
    except Exception:  # a broken grammar must not break completion
        log.exception("no grammar for %s", request.path or request.language)
        return None


def _starts_item(line: str) -> bool:
    return bool(line) and not line[0].isspace() and not line.startswith(_CONTINUATIONS)


def _line_at(text: str, start: int) -> str:
    nl = text.find("\n", start)
    return text[start: nl if nl != -1 else len(text)]


def window(text: str, offset: int) -> tuple[int, int]:
    """Offsets of the top-level item around ``offset``: [start, end)."""
    start = text.rfind("\n", 0, offset) + 1  # the cursor line's start
    for _ in range(WINDOW_LINES):
        if start == 0 or _starts_item(_line_at(text, start)):
            break
        start = text.rfind("\n", 0, start - 1) + 1
    end = text.find("\n", offset)
    for _ in range(WINDOW_LINES):
        if end == -1:
            return start, len(text)
        nxt = text.find("\n", end + 1)
        if _starts_item(_line_at(text, end + 1)):
            return start, end + 1
        end = nxt
    return start, end + 1 if end != -1 else len(text)


def count_errors(node: Any) -> int:
    if node.is_error or node.is_missing:
        return 1
    if not node.has_error:
        return 0
    return sum(count_errors(child) for child in node.children)


def error_delta(request: CompletionRequest, text: str, replace_end: int = 0) -> int | None:
    """Errors the suggestion adds to the window around the cursor (negative: it removes some);
    None when the language has no grammar."""
    spec = _language(request)
    if spec is None:
        return None
    from ghostls.indexing.languages import parse

    doc = request.text
    start, end = window(doc, request.offset)
    end = max(end, request.offset + replace_end)
    before = doc[start:end]
    after = doc[start:request.offset] + text + doc[request.offset + replace_end:end]
    try:
        return count_errors(parse(after, spec).root_node) - count_errors(parse(before, spec).root_node)
    except Exception:
        log.exception("parsing failed for %s", request.path or request.language)
        return None
