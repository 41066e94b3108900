"""Open documents: text, version, and position conversion in the negotiated encoding.

Knows nothing of LSP types: positions are ``(line, character)`` pairs whose ``character`` is
counted in the client's code units (``utf-16`` by default, ``utf-8`` or ``utf-32`` when
negotiated).  Offsets are Python string indices (code points).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"


def char_units(ch: str, encoding: str) -> int:
    """Code units one code point takes in ``encoding``."""
    cp = ord(ch)
    if encoding == UTF16:
        return 2 if cp > 0xFFFF else 1
    if encoding == UTF8:
        return 1 if cp < 0x80 else 2 if cp < 0x800 else 3 if cp < 0x10000 else 4
    return 1


def text_units(text: str, encoding: str) -> int:
    if encoding == UTF32 or text.isascii():
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8"))
    return len(text.encode("utf-16-le")) // 2


def column_to_index(line: str, column: int, encoding: str) -> int:
    """Code-unit column on ``line`` -> code-point index (clamped to the line's end).

    A column that falls inside a character (half a surrogate pair) snaps to that character's start.
    """
    if encoding == UTF32 or line.isascii():
        return max(0, min(column, len(line)))
    units = 0
    for i, ch in enumerate(line):
        step = char_units(ch, encoding)
        if units + step > column:
            return i
        units += step
    return len(line)


@dataclass(frozen=True)
class Edit:
    """One applied change, in the shapes tree-sitter's ``Tree.edit`` needs."""

    start_offset: int
    old_end_offset: int
    new_end_offset: int
    start_byte: int
    old_end_byte: int
    new_end_byte: int
    start_point: tuple[int, int]
    old_end_point: tuple[int, int]
    new_end_point: tuple[int, int]


class Document:
    """The text of one open document and the conversions the server needs."""

    def __init__(self, uri: str, text: str, version: int = 0, language_id: str = "",
                 encoding: str = UTF16) -> None:
        self.uri = uri
        self.language_id = language_id
        self.version = version
        self.encoding = encoding
        self._text = text
        self._ascii = text.isascii()
        self._line_starts: list[int] | None = None
        self.listeners: list[Callable[[Document, Edit], None]] = []

    @property
    def text(self) -> str:
        return self._text

    @property
    def line_starts(self) -> list[int]:
        if self._line_starts is None:
            starts = [0]
            find = self._text.find
            i = find("\n")
            while i != -1:
                starts.append(i + 1)
                i = find("\n", i + 1)
            self._line_starts = starts
        return self._line_starts

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    def line(self, row: int) -> str:
        starts = self.line_starts
        if row < 0 or row >= len(starts):
            return ""
        end = starts[row + 1] - 1 if row + 1 < len(starts) else len(self._text)
        return self._text[starts[row]:end]

    def offset_at(self, line: int, character: int) -> int:
        """Client position -> code-point offset; past-the-end positions clamp to the end."""
        starts = self.line_starts
        if line < 0:
            return 0
        if line >= len(starts):
            return len(self._text)
        text = self.line(line)
        return starts[line] + column_to_index(text.rstrip("\r") if text.endswith("\r") else text,
                                              max(0, character), self.encoding)

    def position_at(self, offset: int) -> tuple[int, int]:
        """Code-point offset -> client position."""
        offset = max(0, min(offset, len(self._text)))
        row = bisect.bisect_right(self.line_starts, offset) - 1
        start = self.line_starts[row]
        return row, text_units(self._text[start:offset], self.encoding)

    def is_valid_position(self, line: int, character: int) -> bool:
        if line < 0 or character < 0 or line >= self.line_count:
            return False
        return character <= text_units(self.line(line), self.encoding)

    def apply_change(self, new_text: str,
                     start: tuple[int, int] | None = None, end: tuple[int, int] | None = None,
                     version: int | None = None) -> Edit:
        """Replace the range ``start``-``end`` (client positions) or the whole text.

        Line starts are updated incrementally and ASCII text takes a byte-arithmetic fast path, so
        a keystroke costs little more than the string splice itself.
        """
        old = self._text
        if start is None or end is None:
            s, e = 0, len(old)
        else:
            s, e = self.offset_at(*start), self.offset_at(*end)
            if e < s:
                s, e = e, s
        starts = self.line_starts
        start_row = bisect.bisect_right(starts, s) - 1
        end_row = bisect.bisect_right(starts, e) - 1
        if self._ascii:
            start_byte, old_end_byte = s, e
            start_point = (start_row, s - starts[start_row])
            old_end_point = (end_row, e - starts[end_row])
        else:
            start_byte = len(old[:s].encode("utf-8"))
            old_end_byte = start_byte + len(old[s:e].encode("utf-8"))
            start_point = (start_row, len(old[starts[start_row]:s].encode("utf-8")))
            old_end_point = (end_row, len(old[starts[end_row]:e].encode("utf-8")))
        new_ascii = new_text.isascii()
        new_end_byte = start_byte + (len(new_text) if new_ascii else len(new_text.encode("utf-8")))
        self._text = old[:s] + new_text + old[e:]
        self._ascii = self._ascii and new_ascii
        delta = len(new_text) - (e - s)
        inserted = [s + i + 1 for i, ch in enumerate(new_text) if ch == "\n"]
        self._line_starts = starts[:start_row + 1] + inserted + [x + delta for x in starts[end_row + 1:]]
        last_newline = new_text.rfind("\n")
        if last_newline == -1:
            tail = old[starts[start_row]:s] + new_text
            new_end_point = (start_row, len(tail) if self._ascii else len(tail.encode("utf-8")))
        else:
            tail = new_text[last_newline + 1:]
            new_end_point = (start_row + len(inserted), len(tail) if new_ascii else len(tail.encode("utf-8")))
        if version is not None:
            self.version = version
        edit = Edit(s, e, s + len(new_text), start_byte, old_end_byte, new_end_byte,
                    start_point, old_end_point, new_end_point)
        for listener in self.listeners:
            listener(self, edit)
        return edit


class DocumentStore:
    """Open documents by URI.  Closed documents are dropped from memory."""

    def __init__(self, encoding: str = UTF16) -> None:
        self.encoding = encoding
        self._docs: dict[str, Document] = {}
        self.on_open: list[Callable[[Document], None]] = []
        self.on_close: list[Callable[[Document], None]] = []

    def open(self, uri: str, text: str, version: int = 0, language_id: str = "") -> Document:
        doc = Document(uri, text, version, language_id, self.encoding)
        self._docs[uri] = doc
        for hook in self.on_open:
            hook(doc)
        return doc

    def get(self, uri: str) -> Document | None:
        return self._docs.get(uri)

    def close(self, uri: str) -> None:
        doc = self._docs.pop(uri, None)
        if doc is not None:
            for hook in self.on_close:
                hook(doc)

    def __iter__(self):
        return iter(list(self._docs.values()))

    def __len__(self) -> int:
        return len(self._docs)
