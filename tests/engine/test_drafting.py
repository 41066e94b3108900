"""Prompt-lookup drafting finds what followed the latest earlier occurrence of the last n-gram."""

from __future__ import annotations

import pytest

from ghostls.providers.local.decoding import DraftIndex


@pytest.mark.parametrize("tokens, added, max_draft, expected", [
    ([1, 2, 3, 4, 5, 1, 2], [], 3, [3, 4, 5]),          # trigram miss, bigram (1, 2) hit
    ([1, 2, 3, 4, 5, 1, 2], [3], 2, [4, 5]),            # grows with generated tokens
    ([9, 1, 2, 7, 1, 2, 8, 1, 2], [], 1, [8]),          # the latest occurrence wins
    ([7, 8, 9], [], 3, []),                             # nothing repeats
    ([5, 5, 5], [], 2, [5]),                            # overlapping occurrences
    ([1, 2, 3, 1, 2, 3], [], 0, []),                    # drafting off
])
def test_draft(tokens: list[int], added: list[int], max_draft: int, expected: list[int]) -> None:
    index = DraftIndex(tokens)
    index.extend(added)
    assert index.draft(max_draft) == expected
