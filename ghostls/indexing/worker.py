"""Index one file into plain rows: what pool processes run (keep the imports light).

A result is a tuple so it pickles cheaply between processes:
``(path, size, mtime_ns, language, status, definition_rows, import_rows)`` where ``status`` is ""
for an indexed file or the reason it was skipped ("binary", "too-large", "missing", ...).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ghostls.indexing.files import read_for_index
from ghostls.indexing.languages import LanguageSpec, parse, spec_for
from ghostls.indexing.model import Definition, Import
from ghostls.indexing.symbols import FileSymbols, extract

log = logging.getLogger(__name__)

DefinitionRow = tuple[str, str, int, int, int, int, str, str, str]
ImportRow = tuple[str, str, str, int]
FileResult = tuple[str, int, int, str, str, list[DefinitionRow], list[ImportRow]]
NAME_SEPARATOR = "\x1f"


def definition_row(d: Definition) -> DefinitionRow:
    return (d.name, d.kind, d.start_line, d.start_col, d.end_line, d.end_col, d.container, d.signature, d.doc)


def import_row(i: Import) -> ImportRow:
    return (i.module, NAME_SEPARATOR.join(i.names), i.alias, i.line)


def symbols_of(source: bytes, spec: LanguageSpec, path: str) -> FileSymbols:
    return extract(parse(source, spec), source, spec, path)


def index_file(path: str, size: int, mtime_ns: int, max_bytes: int) -> FileResult:
    spec = spec_for(path=path)
    if spec is None:
        return (path, size, mtime_ns, "", "unsupported", [], [])
    data, reason = read_for_index(path, size, max_bytes)
    if reason:
        return (path, size, mtime_ns, spec.name, reason, [], [])
    try:
        symbols = symbols_of(data, spec, path)
    except Exception as exc:  # a grammar or query failure costs one file, never the index
        log.warning("could not index %s: %s", path, exc)
        return (path, size, mtime_ns, spec.name, f"error: {exc}", [], [])
    return (path, len(data) if size < 0 else size, mtime_ns, spec.name, "",
            [definition_row(d) for d in symbols.definitions], [import_row(i) for i in symbols.imports])


def index_files(batch: Sequence[tuple[str, int, int]], max_bytes: int) -> list[FileResult]:
    """Index a batch of ``(path, size, mtime_ns)`` (one pool task)."""
    return [index_file(path, size, mtime, max_bytes) for path, size, mtime in batch]
