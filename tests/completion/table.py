"""Helpers for table tests: a document with a cursor marker, turned into a request."""

from __future__ import annotations

from ghostls.completion.postprocess import PostContext
from ghostls.completion.request import CompletionRequest
from ghostls.completion.shape import decide_shape

CURSOR = "█"
PATHS = {"python": "a.py", "javascript": "a.js", "typescript": "a.ts", "go": "a.go", "rust": "a.rs",
         "java": "A.java", "c": "a.c", "cpp": "a.cpp"}


def request_at(doc: str, language: str = "python", invoked: bool = True) -> CompletionRequest:
    assert doc.count(CURSOR) == 1, "mark the cursor exactly once"
    offset = doc.index(CURSOR)
    return CompletionRequest(text=doc.replace(CURSOR, ""), offset=offset, path=PATHS.get(language, "a.txt"),
                             language=language, uri=f"file:///{PATHS.get(language, 'a.txt')}", invoked=invoked)


def context_at(doc: str, language: str = "python", max_lines: int = 8) -> PostContext:
    request = request_at(doc, language)
    return PostContext(request, decide_shape(request, max_lines))


def apply(doc: str, text: str, end: int = 0) -> str:
    """The document after accepting a suggestion at the cursor."""
    offset = doc.index(CURSOR)
    plain = doc.replace(CURSOR, "")
    return plain[:offset] + text + plain[offset + end:]
