"""The context around a selection: enclosing scopes, the file's imports, and the definitions
of the names the selection uses (from the workspace index).

Definitions come from the context engine's :class:`DefinitionSource` (imports first, then the
index), run over exactly the selected lines; definitions in the same file but outside the
selection are added from the index, which the completion source leaves out on purpose.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ghostls.completion.request import CompletionRequest
from ghostls.context.sources import (
    _IMPORT_WORDS,
    _SCOPE_WORDS,
    ContextQuery,
    DefinitionSource,
    _header_rows,
    definition_text,
)
from ghostls.context.tokens import identifiers
from ghostls.explain.selection import SelectionRequest
from ghostls.indexing.languages import parse
from ghostls.indexing.model import Definition, SymbolIndex

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class Piece:
    """One piece of context for the prompt, best first within its kind."""

    kind: str  # "scope" | "imports" | "definition"
    text: str
    path: str
    start_line: int
    end_line: int
    name: str = ""

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "path": self.path, "startLine": self.start_line,
                "endLine": self.end_line}


def scopes_and_imports(request: SelectionRequest) -> list[Piece]:
    """Headers of the functions/classes enclosing the selection (outermost first), then the
    file's import lines above it.  Empty for languages without a grammar."""
    spec = request.spec
    if spec is None:
        return []
    tree = parse(request.text, spec)
    lines = request.text.split("\n")
    start_b = len(request.text[:request.start].encode("utf-8", "surrogatepass"))
    end_b = len(request.text[:request.end].encode("utf-8", "surrogatepass"))
    node = tree.root_node.descendant_for_byte_range(start_b, max(start_b, end_b - 1))
    headers: list[Piece] = []
    while node is not None and node.parent is not None:
        encloses = node.start_byte < start_b or node.end_byte > end_b
        if encloses and any(w in node.type for w in _SCOPE_WORDS) and node.child_by_field_name("body") is not None:
            first, last = _header_rows(node, lines)
            last = min(last, request.start_line - 1)
            if first <= last:
                name = node.child_by_field_name("name")
                headers.append(Piece("scope", "\n".join(lines[first:last + 1]), request.path, first, last,
                                     name.text.decode("utf-8", "replace") if name is not None and name.text else ""))
        node = node.parent
    pieces = headers[::-1]
    rows = sorted({r for n in tree.root_node.named_children if any(w in n.type for w in _IMPORT_WORDS)
                   for r in range(n.start_point[0], n.end_point[0] + 1) if r < request.start_line})
    if rows:
        pieces.append(Piece("imports", "\n".join(lines[r] for r in rows), request.path, rows[0], rows[-1]))
    return pieces




def definitions(request: SelectionRequest, index: SymbolIndex | None, max_names: int = 10,
                max_lines: int = 30) -> list[Piece]:
    """Definitions of the names used in the selection, best first: other files' (through the
    file's imports, then the index), then this file's outside the selection."""
    if index is None or not request.path:
        return []
    used = set(identifiers(request.selected))
    if not used:
        return []
    first, last = request.start_line, request.end_line
    lines = request.text.split("\n")
    query = ContextQuery(
        CompletionRequest(text=request.text, offset=request.start, path=request.path, language=request.language,
                          uri=request.uri, version=request.version, invoked=True),
        lines, first, (first, last), max_snippet_lines=max_lines)
    source = DefinitionSource(lambda: index, above=0, below=last - first, max_names=max_names, per_name=1,
                              scan_above=0, scan_below=last - first + 1, ttl=0.0)
    out: list[Piece] = []
    found: dict[tuple[str, int], Definition] = {}
    for snippet in source(query):
        key = (snippet.path, snippet.start_line)
        if key not in found:
            found.update({(d.path, d.start_line): d for d in index.definitions_in(snippet.path)})
        d = found.get(key)
        if d is not None and d.name in used and worth_showing(d):  # the source also offers unused imports
            out.append(Piece("definition", snippet.text, snippet.path, snippet.start_line, snippet.end_line, d.name))
    shown = {p.name for p in out}
    for d in index.definitions_in(request.path):
        if len(out) >= max_names:
            break
        if d.name not in used or d.name in shown or (d.start_line <= last and d.end_line >= first) or \
                not worth_showing(d):
            continue  # unused, already shown, inside (or around) the selection itself, or a mere attribute
        text, end = definition_text(index, d, max_lines)
        if text.strip():
            shown.add(d.name)
            out.append(Piece("definition", text, d.path, d.start_line, end, d.name))
    return out[:max_names]


def worth_showing(d: Definition) -> bool:
    """Functions, classes, types and module-level names; not a class's fields (``query.path``
    would otherwise pull in every ``path`` attribute) nor dunder methods."""
    if d.name.startswith("__"):
        return False
    return not (d.container and d.kind in _ATTRIBUTE_KINDS)


_ATTRIBUTE_KINDS = ("variable", "field", "constant", "property", "attribute")


def gather(request: SelectionRequest, index: SymbolIndex | None) -> tuple[list[Piece], list[str]]:
    """All context pieces in priority order, and notes on what could not be gathered."""
    notes: list[str] = []
    pieces: list[Piece] = []
    try:
        pieces += scopes_and_imports(request)
    except Exception as exc:  # a grammar problem must not stop the explanation
        log.warning("enclosing scopes of %s failed: %r", request.path, exc)
        notes.append("enclosing scopes unavailable")
    scopes = [p for p in pieces if p.kind == "scope"]
    rest = [p for p in pieces if p.kind != "scope"]
    defs: list[Piece] = []
    if index is None:
        notes.append("the workspace index is not available, so definitions from other files are missing")
    else:
        try:
            defs = definitions(request, index)
        except Exception as exc:
            log.warning("definitions for %s failed: %r", request.path, exc, exc_info=True)
            notes.append("definitions unavailable (the workspace index failed)")
    return scopes + defs + rest, notes
