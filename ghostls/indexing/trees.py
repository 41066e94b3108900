"""Syntax trees of open documents, kept current edit by edit (what the server calls ``trees``).

Each edit is applied to (a copy of) the old tree at once (``Tree.edit``, cheap); the re-parse that
reuses the edited tree happens on the next ``get``, so a burst of keystrokes costs one parse.
Trees handed out are never modified afterwards, so callers may read them on any thread.  Closed documents
are dropped.  ``get`` may be called from any thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import tree_sitter

from ghostls.documents import Document, DocumentStore, Edit
from ghostls.indexing.languages import LanguageSpec, parse, spec_for

log = logging.getLogger(__name__)


class _Entry:
    __slots__ = ("doc", "spec", "tree", "source", "stale", "lock")

    def __init__(self, doc: Document, spec: LanguageSpec) -> None:
        self.doc = doc
        self.spec = spec
        self.source = _encode(doc.text)  # the bytes the edits so far describe
        self.tree: tree_sitter.Tree = parse(self.source, spec)
        self.stale = False
        self.lock = threading.Lock()


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _splice(source: bytes, start: int, end: int, inserted: bytes) -> bytes:
    """``source[:start] + inserted + source[end:]`` with one copy of the document instead of three.

    Slicing bytes copies, and the two halves plus the result of ``+`` are three large allocations
    per keystroke; views of the halves are joined straight into the new bytes.
    """
    view = memoryview(source)
    return b"".join((view[:start], inserted, view[end:]))


class DocumentTrees:
    """Trees of the open documents of a ``DocumentStore`` in a language the registry knows."""

    def __init__(self, documents: DocumentStore, on_change: Callable[[Document], None] | None = None) -> None:
        self._entries: dict[str, _Entry] = {}
        self.on_change = on_change
        documents.on_open.append(self._opened)
        documents.on_close.append(self._closed)
        for doc in documents:
            self._opened(doc)

    def _opened(self, doc: Document) -> None:
        spec = spec_for(doc.language_id, doc.uri)
        if spec is None:
            return
        try:
            entry = _Entry(doc, spec)
        except Exception as exc:  # never let a parser failure break document sync
            log.warning("cannot parse %s: %s", doc.uri, exc)
            return
        self._entries[doc.uri] = entry
        doc.listeners.append(self._edited)
        if self.on_change is not None:
            self.on_change(doc)

    def _closed(self, doc: Document) -> None:
        self._entries.pop(doc.uri, None)
        if self._edited in doc.listeners:
            doc.listeners.remove(self._edited)

    def _edited(self, doc: Document, edit: Edit) -> None:
        entry = self._entries.get(doc.uri)
        if entry is None or entry.doc is not doc:
            return
        with entry.lock:
            # Edit a copy (cheap: nodes are shared): a tree handed out by ``get`` may be in use on
            # another thread and must never change under it.
            tree = entry.tree.copy()
            tree.edit(start_byte=edit.start_byte, old_end_byte=edit.old_end_byte,
                      new_end_byte=edit.new_end_byte, start_point=edit.start_point,
                      old_end_point=edit.old_end_point, new_end_point=edit.new_end_point)
            entry.tree = tree
            # Splice the bytes rather than re-encode the whole text (the source tracks every edit).
            entry.source = _splice(entry.source, edit.start_byte, edit.old_end_byte,
                                   _encode(doc.text[edit.start_offset:edit.new_end_offset]))
            entry.stale = True
        if self.on_change is not None:
            self.on_change(doc)

    def get(self, uri: str) -> tuple[tree_sitter.Tree, LanguageSpec] | None:
        """The document's current tree (re-parsed incrementally if it was edited) and its language."""
        entry = self._entries.get(uri)
        if entry is None:
            return None
        with entry.lock:
            if entry.stale:
                entry.tree = parse(entry.source, entry.spec, entry.tree)
                entry.stale = False
            return entry.tree, entry.spec

    def source(self, uri: str) -> bytes | None:
        """The UTF-8 bytes the current tree was (or will be) parsed from."""
        entry = self._entries.get(uri)
        return entry.source if entry is not None else None

    def snapshot(self, uri: str) -> tuple[tree_sitter.Tree, LanguageSpec, bytes] | None:
        """Tree, language and bytes, consistent with each other."""
        entry = self._entries.get(uri)
        if entry is None:
            return None
        with entry.lock:
            if entry.stale:
                entry.tree = parse(entry.source, entry.spec, entry.tree)
                entry.stale = False
            return entry.tree, entry.spec, entry.source

    def uris(self) -> list[str]:
        return list(self._entries)

    def __contains__(self, uri: str) -> bool:
        return uri in self._entries

    def __len__(self) -> int:
        return len(self._entries)
