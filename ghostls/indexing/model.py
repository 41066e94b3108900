"""The shapes the index hands to the rest of the system (context, explain, views, LSP).

Lines and columns are 0-based; columns are code-point indices into the line (convert to the
client's encoding at the LSP edge).  Paths are absolute filesystem paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Definition:
    name: str
    kind: str  # "function" | "method" | "class" | "constant" | "variable" | "interface" | "type" | "module" ...
    path: str
    language: str
    start_line: int
    start_col: int
    end_line: int
    end_col: int
    container: str = ""  # enclosing class / namespace, e.g. "Parser" for Parser.parse
    signature: str = ""  # the definition's first line(s) up to the body, e.g. "def parse(self, data: bytes) -> Header:"
    doc: str = ""  # docstring or leading comment

    @property
    def qualified_name(self) -> str:
        return f"{self.container}.{self.name}" if self.container else self.name


@dataclass(frozen=True)
class Import:
    path: str  # the importing file
    module: str  # "os.path", "./util", "github.com/x/y"
    names: tuple[str, ...] = ()  # imported names ("" tuple: the module itself)
    alias: str = ""  # "np" in "import numpy as np"
    line: int = 0


@dataclass(frozen=True)
class Scope:
    """An enclosing function/class at a position, outermost first when returned as a list."""

    name: str
    kind: str
    start_line: int
    end_line: int
    signature: str = ""


class SymbolIndex(Protocol):
    """What the rest of ghostls may ask of the workspace index (all fast, in-memory or SQLite)."""

    def lookup(self, name: str, limit: int = 50) -> Sequence[Definition]:
        """Definitions whose name is exactly ``name``."""

    def lookup_prefix(self, prefix: str, limit: int = 50) -> Sequence[Definition]: ...

    def definitions_in(self, path: str) -> Sequence[Definition]: ...

    def imports_of(self, path: str) -> Sequence[Import]: ...

    def imported_definitions(self, path: str) -> Sequence[Definition]:
        """Definitions that ``path``'s imports bring into scope (resolved within the workspace)."""

    def read_source(self, definition: Definition, max_lines: int = 40) -> str:
        """The definition's source text (signature + body), cut at ``max_lines``."""
