"""The language registry: which grammar and which queries serve a file or an LSP language id.

Each language is one ``LanguageSpec`` entry in ``_SPECS`` plus its query files under
``ghostls/indexing/queries/<name>/`` (``symbols.scm``, ``imports.scm``).  Grammars come from the
per-language wheels (offline); they are loaded on first use so that importing this module is cheap.
"""

from __future__ import annotations

import importlib
import os
import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import tree_sitter

_QUERY_DIR = Path(__file__).with_name("queries")


@dataclass(frozen=True, eq=False)
class LanguageSpec:
    """One language: its grammar, how files and LSP ids map to it, and its tree-sitter queries."""

    name: str  # also the folder of its queries
    module: str  # the grammar wheel's module
    function: str = "language"  # the function in ``module`` that returns the grammar pointer
    lsp_ids: tuple[str, ...] = ()
    extensions: tuple[str, ...] = ()  # with the dot, lower case
    filenames: tuple[str, ...] = ()  # exact file names (no extension)
    # Node types that are comments (leading comments become a definition's doc).
    comment_types: tuple[str, ...] = ("comment",)
    # Docstrings are the first string statement of the body (Python) rather than leading comments.
    docstring_body: bool = False
    # Definition kinds that contain others (their name becomes the container of what is inside).
    container_kinds: tuple[str, ...] = ("class", "interface", "struct", "enum", "trait", "namespace", "module")
    # Query folders to fall back on for a kind this language has no file of (TSX reads TypeScript's).
    query_fallbacks: tuple[str, ...] = ()
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @cached_property
    def language(self) -> tree_sitter.Language:
        grammar = getattr(importlib.import_module(self.module), self.function)
        return tree_sitter.Language(grammar())

    def query_text(self, kind: str) -> str:
        for folder in (self.name, *self.query_fallbacks):
            path = _QUERY_DIR / folder / f"{kind}.scm"
            if path.is_file():
                return path.read_text(encoding="utf-8")
        return ""

    def query(self, kind: str) -> tree_sitter.Query | None:
        """The compiled query ``kind`` ("symbols", "imports"), or None when the language has none."""
        cache = self.__dict__.setdefault("_queries", {})
        if kind not in cache:
            with self._lock:
                if kind not in cache:
                    text = self.query_text(kind)
                    cache[kind] = tree_sitter.Query(self.language, text) if text.strip() else None
        return cache[kind]

    @property
    def symbols_query(self) -> tree_sitter.Query | None:
        return self.query("symbols")

    @property
    def imports_query(self) -> tree_sitter.Query | None:
        return self.query("imports")

    @property
    def index_query(self) -> tree_sitter.Query | None:
        """Symbols and imports in one query: one walk of the tree instead of two (the walk is the cost)."""
        cache = self.__dict__.setdefault("_queries", {})
        if "index" not in cache:
            with self._lock:
                if "index" not in cache:
                    text = self.query_text("symbols") + "\n" + self.query_text("imports")
                    cache["index"] = tree_sitter.Query(self.language, text) if text.strip() else None
        return cache["index"]


_C_FAMILY_CONTAINERS = ("class", "struct", "enum", "namespace", "union", "interface")

_SPECS: tuple[LanguageSpec, ...] = (
    LanguageSpec(
        "python", "tree_sitter_python", lsp_ids=("python",), extensions=(".py", ".pyi", ".pyw"),
        docstring_body=True,
    ),
    LanguageSpec(
        "javascript", "tree_sitter_javascript", lsp_ids=("javascript", "javascriptreact"),
        extensions=(".js", ".mjs", ".cjs", ".jsx"),
    ),
    LanguageSpec(
        "typescript", "tree_sitter_typescript", "language_typescript", lsp_ids=("typescript",),
        extensions=(".ts", ".mts", ".cts"), query_fallbacks=("javascript",),
    ),
    LanguageSpec(
        "tsx", "tree_sitter_typescript", "language_tsx", lsp_ids=("typescriptreact",), extensions=(".tsx",),
        query_fallbacks=("typescript", "javascript"),
    ),
    LanguageSpec("go", "tree_sitter_go", lsp_ids=("go",), extensions=(".go",)),
    LanguageSpec(
        "rust", "tree_sitter_rust", lsp_ids=("rust",), extensions=(".rs",),
        comment_types=("line_comment", "block_comment"),
        container_kinds=("struct", "enum", "trait", "module", "impl", "union"),
    ),
    LanguageSpec(
        "java", "tree_sitter_java", lsp_ids=("java",), extensions=(".java",),
        comment_types=("line_comment", "block_comment"),
        container_kinds=("class", "interface", "enum", "record", "annotation"),
    ),
    LanguageSpec(
        "c", "tree_sitter_c", lsp_ids=("c",), extensions=(".c", ".h"), container_kinds=_C_FAMILY_CONTAINERS,
    ),
    LanguageSpec(
        "cpp", "tree_sitter_cpp", lsp_ids=("cpp", "cuda-cpp"),
        extensions=(".cc", ".cpp", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h++", ".ipp", ".tpp", ".cu", ".cuh"),
        container_kinds=_C_FAMILY_CONTAINERS,
    ),
)

_BY_NAME = {spec.name: spec for spec in _SPECS}
_BY_LSP_ID = {lsp_id: spec for spec in _SPECS for lsp_id in spec.lsp_ids}
_BY_EXTENSION = {ext: spec for spec in _SPECS for ext in spec.extensions}
_BY_FILENAME = {name: spec for spec in _SPECS for name in spec.filenames}


def all_specs() -> tuple[LanguageSpec, ...]:
    return _SPECS


def spec_named(name: str) -> LanguageSpec | None:
    return _BY_NAME.get(name)


def spec_for(language_id: str = "", path: str = "") -> LanguageSpec | None:
    """The language for an LSP language id (preferred) or else a file name/path/URI; None if unknown."""
    if language_id:
        spec = _BY_LSP_ID.get(language_id) or _BY_NAME.get(language_id)
        if spec is not None:
            return spec
    if path:
        base = os.path.basename(path.rstrip("/"))
        if base in _BY_FILENAME:
            return _BY_FILENAME[base]
        _, ext = os.path.splitext(base)
        return _BY_EXTENSION.get(ext.lower())
    return None


def is_indexable(path: str) -> bool:
    return spec_for(path=path) is not None


_local = threading.local()


def parser_for(spec: LanguageSpec) -> tree_sitter.Parser:
    """This thread's parser for ``spec`` (tree-sitter parsers must not be shared across threads)."""
    parsers: dict[str, tree_sitter.Parser] | None = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    parser = parsers.get(spec.name)
    if parser is None:
        parser = parsers[spec.name] = tree_sitter.Parser(spec.language)
    return parser


def parse(text: str | bytes, spec: LanguageSpec, old_tree: tree_sitter.Tree | None = None) -> tree_sitter.Tree:
    """Parse ``text`` (str is encoded as UTF-8); pass ``old_tree`` (already ``edit``-ed) to re-parse fast."""
    source = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    parser = parser_for(spec)
    return parser.parse(source, old_tree) if old_tree is not None else parser.parse(source)
