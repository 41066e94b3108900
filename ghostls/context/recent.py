"""Recently edited ranges of documents, from the documents' edit listeners."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from ghostls.documents import Document, Edit


@dataclass
class EditedRange:
    uri: str
    start_line: int
    end_line: int  # inclusive, in the document's text after the edit
    at: float


class RecentEdits:
    """The last ``capacity`` edited line ranges; an edit next to a known range extends it."""

    def __init__(self, capacity: int = 32) -> None:
        self.capacity = capacity
        self._ranges: list[EditedRange] = []
        self._lock = threading.Lock()

    def watch(self, doc: Document) -> None:
        if self.on_edit not in doc.listeners:
            doc.listeners.append(self.on_edit)

    def on_edit(self, doc: Document, edit: Edit) -> None:
        start, end = edit.start_point[0], edit.new_end_point[0]
        shift = end - edit.old_end_point[0]
        now = time.monotonic()
        with self._lock:
            merged = None
            for r in self._ranges:
                if r.uri != doc.uri:
                    continue
                if r.start_line > edit.old_end_point[0]:  # ranges below the edit move with it
                    r.start_line += shift
                    r.end_line += shift
                elif r.end_line >= edit.old_end_point[0]:
                    r.end_line = max(r.end_line + shift, start)
                if merged is None and r.start_line - 1 <= end and start <= r.end_line + 1:
                    merged = r
            if merged is not None:
                merged.start_line, merged.end_line = min(merged.start_line, start), max(merged.end_line, end)
                merged.at = now
                self._ranges.remove(merged)
                self._ranges.append(merged)
            else:
                self._ranges.append(EditedRange(doc.uri, start, end, now))
                del self._ranges[:-self.capacity]

    def forget(self, uri: str) -> None:
        with self._lock:
            self._ranges = [r for r in self._ranges if r.uri != uri]

    def newest_first(self) -> list[EditedRange]:
        with self._lock:
            return [EditedRange(r.uri, r.start_line, r.end_line, r.at) for r in reversed(self._ranges)]
