"""The context sources.  Each is a small unit: ``source(query) -> [Snippet, ...]``, best first.

A source knows nothing of budgets or of the other sources; the engine runs each under its own
deadline and :mod:`ghostls.context.rank` merges what came back in time.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from ghostls.completion.request import CompletionRequest
from ghostls.context.corpus import WindowCorpus
from ghostls.context.recent import RecentEdits
from ghostls.context.similarity import JaccardIndex
from ghostls.context.tokens import IDENTIFIER, STOPWORDS, bag, identifier_set
from ghostls.context.windows import Window, split_windows
from ghostls.indexing.model import Definition, SymbolIndex
from ghostls.providers.base import Snippet

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ContextQuery:
    """What every source gets: the request, its lines, and the part of the file already in the prompt."""

    request: CompletionRequest
    lines: Sequence[str]
    cursor_line: int
    window: tuple[int, int]  # lines of the current file that the prompt shows anyway (inclusive)
    window_lines: int = 10
    max_snippet_lines: int = 30
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.request.path or self.request.uri

    def before_cursor(self, n: int) -> str:
        """The ``n`` lines above the cursor and the cursor line up to the cursor."""
        start = max(0, self.cursor_line - n)
        return "\n".join([*self.lines[start:self.cursor_line], self.request.line_prefix])


class Source(Protocol):
    name: str

    def __call__(self, query: ContextQuery) -> list[Snippet]: ...


# -- the file's imports and enclosing scopes ---------------------------------------------------

_SCOPE_WORDS = ("function", "method", "class", "impl", "interface", "struct", "trait", "namespace", "module")
_IMPORT_WORDS = ("import", "include", "use_declaration", "package_clause")


class ScopeSource:
    """The file's import lines and the headers of the enclosing functions and classes, when the
    prompt's window of the file does not show them."""

    name = "scope"

    def __init__(self, trees: Callable[[], Any] | None = None) -> None:
        self.trees = trees or (lambda: None)  # the server's incrementally parsed open documents
        self._trees: dict[str, tuple[int, str, Any]] = {}  # uri -> (version, text, tree)
        self._lock = threading.Lock()

    def _tree(self, request: CompletionRequest) -> Any:
        from ghostls.indexing.languages import parse, spec_for

        spec = spec_for(request.language, request.path)
        if spec is None:
            return None
        key = request.uri or request.path
        trees = self.trees()
        snapshot = trees.snapshot(key) if trees is not None else None
        if snapshot is not None and snapshot[2] == request.text.encode("utf-8", "surrogatepass"):
            return snapshot[0]
        with self._lock:
            cached = self._trees.get(key)
        if cached is not None and cached[0] == request.version and cached[1] == request.text:
            return cached[2]
        tree = parse(request.text, spec)
        with self._lock:
            self._trees[key] = (request.version, request.text, tree)
            while len(self._trees) > 16:
                self._trees.pop(next(iter(self._trees)))
        return tree

    def __call__(self, query: ContextQuery) -> list[Snippet]:
        tree = self._tree(query.request)
        if tree is None:
            return []
        lines, first_shown = query.lines, query.window[0]
        out: list[Snippet] = []
        imports = [n for n in tree.root_node.named_children
                   if any(w in n.type for w in _IMPORT_WORDS) and n.start_point[0] < first_shown]
        if imports:
            rows = sorted({r for n in imports
                           for r in range(n.start_point[0], min(n.end_point[0], first_shown - 1) + 1)})
            out.append(Snippet("\n".join(lines[r] for r in rows), self.name, query.path, rows[0], rows[-1], 1.0))
        scopes = []
        for node in enclosing_scopes(tree, query):
            header = _header_rows(node, lines)
            if header[0] < first_shown:
                scopes.append(header)
        for start, end in reversed(scopes):  # outermost first
            end = min(end, first_shown - 1)
            out.append(Snippet("\n".join(lines[start:end + 1]), self.name, query.path, start, end, 0.9))
        return out


def enclosing_scopes(tree: Any, query: ContextQuery) -> list[Any]:
    """Function/class nodes around the cursor, innermost first.

    The cursor often sits on a blank line that the tree gives to no function (Python ends a body
    at its last statement), so the search starts at the last code before the cursor, and a scope
    that ended above the cursor still counts while the cursor is indented deeper than it.
    """
    prefix = query.request.prefix
    stripped = prefix.rstrip()
    if not stripped:
        return []
    row = stripped.count("\n")
    col = len(stripped[stripped.rfind("\n") + 1:].encode("utf-8")) - 1
    line_prefix = query.request.line_prefix
    indent = len(line_prefix) - len(line_prefix.lstrip()) if not line_prefix.strip() else None
    cursor = (query.cursor_line, len(line_prefix.encode("utf-8")))
    node = tree.root_node.descendant_for_point_range((row, col), (row, col))
    out = []
    while node is not None and node.parent is not None:
        if any(w in node.type for w in _SCOPE_WORDS) and node.child_by_field_name("body") is not None:
            inside = node.end_point >= cursor
            if inside or (indent is not None and indent > node.start_point[1]):
                out.append(node)
        node = node.parent
    return out


def _header_rows(node: Any, lines: Sequence[str]) -> tuple[int, int]:
    """First and last line of a scope's header: up to its body, or the line that opens it."""
    body = node.child_by_field_name("body")
    start = node.start_point[0]
    if body is None or body.start_point[0] <= start:
        return start, start
    body_row, body_col = body.start_point
    line = lines[body_row] if body_row < len(lines) else ""
    opens_own_line = not line[:body_col].strip()  # byte column; only whitespace before it anyway
    return start, body_row - 1 if opens_own_line else body_row


# -- definitions of the names used near the cursor ---------------------------------------------

class DefinitionSource:
    """Definitions of identifiers used near the cursor and of the names the file imports,
    resolved through the file's imports first and then the workspace index.

    What the index says about a file (its imports, what they bring in, its own names) and the
    definitions' texts are cached for a few seconds: they change far slower than keystrokes come.
    """

    name = "definition"

    def __init__(self, index: Callable[[], SymbolIndex | None], above: int = 25, below: int = 10,
                 max_names: int = 12, per_name: int = 2, scan_above: int = 300, scan_below: int = 100,
                 ttl: float = 5.0, corpus: WindowCorpus | None = None) -> None:
        self.index = index
        self.corpus = corpus
        self.above, self.below = above, below
        self.max_names, self.per_name = max_names, per_name
        self.scan_above, self.scan_below = scan_above, scan_below
        self._cache = TtlCache(ttl)
        self._texts = TtlCache(ttl * 12)

    def _file_facts(self, index: SymbolIndex, path: str) -> tuple[dict[str, list[Definition]], set[str], set[str]]:
        """(imported name -> definitions, handles of imported modules, names the file defines)."""
        def compute() -> tuple[dict[str, list[Definition]], set[str], set[str]]:
            imported: dict[str, list[Definition]] = {}
            for d in index.imported_definitions(path):
                if d.path != path:
                    imported.setdefault(d.name, []).append(d)
            handles = {h for imp in index.imports_of(path) for h in _import_handles(imp)}
            return imported, handles, {d.name for d in index.definitions_in(path)}

        return self._cache.get(("file", id(index), path), compute)

    def _names_in_similar_code(self, query: ContextQuery, k: int = 5) -> dict[str, float]:
        """Share of the ``k`` windows most like the cursor's lines (BM25) that use each name."""
        bm25 = self.corpus.bm25() if self.corpus is not None else None
        if bm25 is None:
            return {}
        hits = bm25.search(bag(query.before_cursor(query.window_lines)), k, exclude_path=query.path)
        share: dict[str, float] = {}
        for window, _ in hits:
            for ident in window.idents:
                share[ident] = share.get(ident, 0.0) + 1.0 / k
        return share

    def _lookup(self, index: SymbolIndex, name: str) -> list[Definition]:
        return self._cache.get(("name", id(index), name), lambda: list(index.lookup(name, limit=8)))

    def __call__(self, query: ContextQuery) -> list[Snippet]:
        index = self.index()
        path = query.request.path
        if index is None or not path:
            return []
        scores = name_scores(query, self.above, self.below)
        facts_imported, handles, local = self._file_facts(index, path)
        imported = dict(facts_imported)
        row = query.cursor_line
        region = "\n".join(query.lines[max(0, row - self.scan_above):row + self.scan_below])
        counts = Counter(IDENTIFIER.findall(region))
        # ``module.name`` where ``module`` is an import: resolve ``name`` in files of that module,
        # whether or not the index could resolve the import itself.
        for qualifier, name in set(_QUALIFIED.findall(region)) if handles else ():
            if qualifier in handles and name not in imported:
                defs = [d for d in self._lookup(index, name) if d.path != path and _names_module(d.path, qualifier)]
                if defs:
                    imported[name] = defs
        # Code similar to the cursor's lines elsewhere tends to use the same names next.
        usual = self._names_in_similar_code(query)
        for name in imported:
            # Imported names are likely to be used again even when not in sight of the cursor.
            scores[name] = scores.get(name, 0.0) * 2 + 0.2 + 0.02 * min(counts[name], 20) + 0.3 * usual.get(name, 0)
        ranked = sorted((n for n in scores if n not in local), key=lambda n: (-scores[n], n))
        out: list[Snippet] = []
        seen: set[tuple[str, int]] = set()
        names = tries = 0
        for name in ranked:
            if names >= self.max_names or tries >= 4 * self.max_names:
                break
            tries += 1
            # Not imported: only top-level definitions (a method's name says little about its class).
            defs = imported.get(name) or [d for d in self._lookup(index, name) if d.path != path and not d.container]
            if not defs or (name not in imported and len(defs) > 4):
                continue  # a common name defined all over: no telling which one is meant
            names += 1
            for d in sorted(defs, key=lambda d: -_shared_prefix(d.path, path))[:self.per_name]:
                if (d.path, d.start_line) in seen:
                    continue
                seen.add((d.path, d.start_line))
                text, end = self._texts.get(("text", d, query.max_snippet_lines, _mtime(d.path)),
                                            lambda d=d: definition_text(index, d, query.max_snippet_lines))
                if text.strip():
                    out.append(Snippet(text, self.name, d.path, d.start_line, end, round(scores[name], 4)))
        return out


class TtlCache:
    """A small thread-safe cache whose entries live ``ttl`` seconds."""

    def __init__(self, ttl: float, capacity: int = 4096) -> None:
        self.ttl, self.capacity = ttl, capacity
        self._data: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        now = time.monotonic()
        with self._lock:
            hit = self._data.get(key)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        value = compute()
        with self._lock:
            if len(self._data) >= self.capacity:
                self._data.clear()
            self._data[key] = (now, value)
        return value


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


_QUALIFIED = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)")


def _import_handles(imp: Any) -> set[str]:
    """Names by which code refers to an imported module: its alias, its last part, or the
    imported names themselves (``from . import events``)."""
    if imp.alias:
        return {imp.alias}
    tail = re.split(r"[./:\\]+", imp.module.strip("./\"'"))[-1] if imp.module.strip("./") else ""
    handles = {n for n in imp.names if n and n != "*"}
    if tail and not imp.names:
        handles.add(tail)
    return handles


def _names_module(path: str, handle: str) -> bool:
    """Whether ``path`` is (in) the module or package that ``handle`` names."""
    parts = path.replace("\\", "/").split("/")
    return handle in parts[:-1] or os.path.splitext(parts[-1])[0] == handle


def name_scores(query: ContextQuery, above: int, below: int) -> dict[str, float]:
    """Identifiers around the cursor, weighted by closeness (1 on the cursor line)."""
    scores: dict[str, float] = {}
    lines, row = query.lines, query.cursor_line
    for r in range(max(0, row - above), min(len(lines), row + below + 1)):
        weight = 1.0 / (1 + abs(row - r))
        for ident in IDENTIFIER.findall(lines[r]):
            if len(ident) > 1 and ident not in STOPWORDS:
                scores[ident] = scores.get(ident, 0.0) + weight
    return scores


def _shared_prefix(a: str, b: str) -> int:
    return len(os.path.commonprefix([a, b]))


_CONTAINER_KINDS = ("class", "interface", "struct", "trait", "enum", "impl", "type")


def definition_text(index: SymbolIndex, d: Definition, max_lines: int) -> tuple[str, int]:
    """The definition whole when it is short; else its signature and docstring (and, for a class,
    its members' signatures).  Returns the text and the last line shown."""
    lead = _leading_comment(index, d) if d.doc else []
    source = index.read_source(replace(d, start_col=0), max_lines=max_lines + 1)  # the whole first line
    lines = source.rstrip("\n").split("\n")
    if len(lines) + len(lead) <= max_lines:
        return "\n".join(lead + lines), d.start_line + len(lines) - 1
    head = d.signature.count("\n") + 1 if d.signature else 1
    doc_lines = [x.strip() for x in d.doc.strip().split("\n")] if d.doc and not lead else []
    if doc_lines and doc_lines[0]:
        doc_row = next((i for i, line in enumerate(lines[:max_lines]) if doc_lines[0] in line), -1)
        if doc_row >= 0:  # a docstring inside the body: show through its end
            end = next((i for i in range(doc_row, len(lines)) if doc_lines[-1] in lines[i]), doc_row)
            if end + 1 < len(lines) and lines[end + 1].strip() in ('"""', "'''", "*/"):
                end += 1
            head = max(head, end + 1)
    head = min(head, max_lines)
    shown = lead + lines[:head]
    if d.kind in _CONTAINER_KINDS:
        indent = re.match(r"\s*", lines[min(head, len(lines) - 1)]).group(0) or "    "  # type: ignore[union-attr]
        members = [m for m in index.definitions_in(d.path)
                   if m.container == d.name and d.start_line < m.start_line <= d.end_line]
        for m in members[:max(0, max_lines - len(shown))]:
            shown.append(indent + (m.signature or m.name).split("\n", 1)[0].strip())
    return "\n".join(shown), d.start_line + head - 1


_COMMENT_START = ("//", "/*", "*", "#", "--", "*/")


def _leading_comment(index: SymbolIndex, d: Definition) -> list[str]:
    """The comment lines right above a definition (its doc in languages that document that way)."""
    k = min(d.start_line, d.doc.count("\n") + 3)
    if k <= 0:
        return []
    above = index.read_source(replace(d, start_line=d.start_line - k, end_line=d.start_line - 1, start_col=0),
                              max_lines=k).split("\n")
    out: list[str] = []
    for line in reversed(above):
        if not line.strip().startswith(_COMMENT_START):
            break
        out.append(line)
    return out[::-1]


# -- similar code -------------------------------------------------------------------------------

class SimilarSource:
    """Workspace windows most similar (BM25) to the lines just above the cursor."""

    name = "similar"

    def __init__(self, corpus: WindowCorpus, k: int = 8, refresh: Callable[[], None] | None = None) -> None:
        self.corpus, self.k = corpus, k
        self.refresh = refresh or (lambda: None)  # keeps the corpus in step with the workspace

    def __call__(self, query: ContextQuery) -> list[Snippet]:
        self.refresh()
        index = self.corpus.bm25()
        if index is None:
            return []
        hits = index.search(bag(query.before_cursor(query.window_lines)), self.k, exclude_path=query.path)
        return [_window_snippet(w, self.name, s) for w, s in hits]


class JaccardSource:
    """Windows of other open documents most similar (Jaccard over identifiers) to the cursor's lines."""

    name = "similar-open"

    def __init__(self, documents: Callable[[], Sequence[Any]], path_of: Callable[[str], str],
                 window_lines: int = 10, k: int = 6) -> None:
        self.documents, self.path_of = documents, path_of
        self.window_lines, self.k = window_lines, k
        self._windows: dict[str, tuple[int, list[Window]]] = {}
        self._index: tuple[tuple[tuple[str, int], ...], JaccardIndex] | None = None
        self._lock = threading.Lock()

    def _index_for(self, exclude_uri: str) -> JaccardIndex:
        docs = [d for d in self.documents() if d.uri != exclude_uri]
        key = tuple(sorted((d.uri, d.version) for d in docs))
        with self._lock:
            if self._index is not None and self._index[0] == key:
                return self._index[1]
        windows: list[Window] = []
        for doc in docs:
            cached = self._windows.get(doc.uri)
            if cached is None or cached[0] != doc.version:
                cached = (doc.version, split_windows(self.path_of(doc.uri), doc.text, self.window_lines))
                self._windows[doc.uri] = cached
            windows.extend(cached[1])
        index = JaccardIndex(windows)
        with self._lock:
            self._index = (key, index)
        return index

    def __call__(self, query: ContextQuery) -> list[Snippet]:
        index = self._index_for(query.request.uri)
        hits = index.search(identifier_set(query.before_cursor(query.window_lines)), self.k)
        return [_window_snippet(w, self.name, s) for w, s in hits]


def _window_snippet(w: Window, source: str, score: float) -> Snippet:
    return Snippet(w.text, source, w.path, w.start_line, w.end_line, round(score, 4))


# -- recently edited ranges --------------------------------------------------------------------

class RecentEditSource:
    """The newest edited ranges in other open documents, with a little context around each."""

    name = "recent-edit"

    def __init__(self, edits: RecentEdits, document: Callable[[str], Any], path_of: Callable[[str], str],
                 around: int = 2, max_lines: int = 12, k: int = 4) -> None:
        self.edits, self.document, self.path_of = edits, document, path_of
        self.around, self.max_lines, self.k = around, max_lines, k

    def __call__(self, query: ContextQuery) -> list[Snippet]:
        out: list[Snippet] = []
        for r in self.edits.newest_first():
            if len(out) >= self.k:
                break
            if r.uri == query.request.uri:
                continue
            doc = self.document(r.uri)
            if doc is None:
                continue
            start = max(0, r.start_line - self.around)
            end = min(doc.line_count - 1, r.end_line + self.around, start + self.max_lines - 1)
            text = "\n".join(doc.line(i) for i in range(start, end + 1))
            if text.strip():
                out.append(Snippet(text, self.name, self.path_of(r.uri), start, end, 1.0 / (1 + len(out))))
        return out
