"""Providers over the session's tiny random-weight model, shared by the engine tests."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from ghostls.providers.base import GenerationParams, RenderedPrompt
from ghostls.providers.local import LocalProvider

# Real code as the prompt: the tiny model's tokenizer was trained on the standard library.
SOURCE = (Path(__file__).resolve().parents[2] / "ghostls" / "documents.py").read_text()


def generate(provider: LocalProvider, text: str, max_new_tokens: int = 16) -> str:
    return "".join(provider.stream(RenderedPrompt(text=text), GenerationParams(max_new_tokens=max_new_tokens),
                                   threading.Event()))


@pytest.fixture(scope="module")
def cacheless(tiny_model_dir: Path) -> LocalProvider:
    """The reference: plain greedy decoding, every prompt computed from scratch."""
    provider = LocalProvider(model=str(tiny_model_dir), kv_cache_mb=0, prompt_lookup=0)
    provider.load()
    return provider


@pytest.fixture
def cached(tiny_model_dir: Path) -> LocalProvider:
    """The engine as configured by default (prefix cache, prompt-lookup decoding)."""
    provider = LocalProvider(model=str(tiny_model_dir), kv_cache_mb=64)
    provider.load()
    return provider
