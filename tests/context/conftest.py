"""Fixtures for the context tests: a real BPE tokenizer's counter."""

from __future__ import annotations

import pytest

from ghostls.providers.local.provider import TokenizerCounter
from tests.support.tiny_model import build_tokenizer


@pytest.fixture(scope="session")
def bpe_counter() -> TokenizerCounter:
    """Counts in a byte-level BPE trained on real Python code (the tiny test model's kind)."""
    return TokenizerCounter(build_tokenizer())
