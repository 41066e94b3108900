"""Documents and position encodings (UTF-16 default, UTF-8 negotiated), emoji and CJK included."""

from __future__ import annotations

import pytest

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
