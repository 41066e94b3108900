"""Documents and position encodings (UTF-16 default, UTF-8 negotiated), emoji and CJK included."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ghostls.documents import UTF8, UTF16, UTF32, Document, text_units

TEXT = "x = '😀 héllo 世界'\nprint(x)  # ok\n"


@pytest.mark.parametrize("encoding, col_after_emoji", [(UTF16, 7), (UTF8, 9), (UTF32, 6)])
def test_offsets_and_positions_round_trip(encoding: str, col_after_emoji: int) -> None:
    doc = Document("file:///t.py", TEXT, encoding=encoding)
    emoji = TEXT.index("😀")
    assert doc.position_at(emoji + 1) == (0, col_after_emoji)
    assert doc.offset_at(0, col_after_emoji) == emoji + 1
    for offset in range(len(TEXT) + 1):
        assert doc.offset_at(*doc.position_at(offset)) == offset


def test_position_inside_a_surrogate_pair_snaps_to_the_character_start() -> None:
    doc = Document("file:///t.py", TEXT, encoding=UTF16)
    assert doc.offset_at(0, 6) == TEXT.index("😀")


def test_positions_past_the_end_clamp_and_are_reported_invalid() -> None:
    doc = Document("file:///t.py", TEXT)
    assert doc.offset_at(0, 999) == TEXT.index("\n")
    assert doc.offset_at(99, 0) == len(TEXT)
    assert not doc.is_valid_position(0, 999) and not doc.is_valid_position(99, 0)
    assert doc.is_valid_position(1, 8) and doc.is_valid_position(2, 0)


@pytest.mark.parametrize("encoding", [UTF16, UTF8])
def test_incremental_changes_apply_in_client_units(encoding: str) -> None:
    doc = Document("file:///t.py", TEXT, encoding=encoding)
    start_col = text_units("x = '😀 héllo ", encoding)
    end_col = text_units("x = '😀 héllo 世界", encoding)
    edit = doc.apply_change("世界!", (0, start_col), (0, end_col), version=2)
    assert doc.text == TEXT.replace("世界", "世界!")
    assert doc.version == 2
    assert edit.new_end_byte - edit.start_byte == len("世界!".encode())
    assert edit.old_end_byte - edit.start_byte == len("世界".encode())
    assert edit.start_point == (0, len("x = '😀 héllo ".encode()))
    doc.apply_change("import os\n", (0, 0), (0, 0))
    assert doc.line(0) == "import os" and doc.line_count == 4


def test_full_replacement_and_listeners() -> None:
    seen = []
    doc = Document("file:///t.py", TEXT)
    doc.listeners.append(lambda d, e: seen.append(e))
    doc.apply_change("new")
    assert doc.text == "new" and seen[0].old_end_offset == len(TEXT) and seen[0].new_end_offset == 3


def _reference_point(text: str, offset: int) -> tuple[int, int]:
    row = text.count("\n", 0, offset)
    line_start = text.rfind("\n", 0, offset) + 1
    return row, len(text[line_start:offset].encode("utf-8"))


ALPHABET = "ab \n\t(é世😀"


@given(st.text(ALPHABET, max_size=60),
       st.lists(st.tuples(st.integers(0, 80), st.integers(0, 80), st.text(ALPHABET, max_size=8)), max_size=12),
       st.sampled_from([UTF8, UTF16, UTF32]))
@settings(max_examples=150, deadline=None)
def test_incremental_bookkeeping_equals_a_fresh_computation(text: str, edits, encoding: str) -> None:
    """Line starts and tree-sitter points kept incrementally match a from-scratch computation."""
    doc = Document("file:///p.py", text, encoding=encoding)
    for a, b, insert in edits:
        before = doc.text
        start, end = doc.position_at(min(a, len(before))), doc.position_at(min(b, len(before)))
        edit = doc.apply_change(insert, start, end)
        expected = before[:edit.start_offset] + insert + before[edit.old_end_offset:]
        assert doc.text == expected
        fresh = Document("file:///p.py", expected, encoding=encoding)
        assert doc.line_starts == fresh.line_starts
        assert edit.start_byte == len(before[:edit.start_offset].encode())
        assert edit.old_end_byte == len(before[:edit.old_end_offset].encode())
        assert edit.new_end_byte == len(expected[:edit.new_end_offset].encode())
        assert edit.start_point == _reference_point(before, edit.start_offset)
        assert edit.old_end_point == _reference_point(before, edit.old_end_offset)
        assert edit.new_end_point == _reference_point(expected, edit.new_end_offset)
