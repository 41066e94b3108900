"""Shared fixtures: real tiny models, the embedded model, and real LSP sessions (tests/support)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.tiny_model import build_tiny_model

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight Llama-architecture model with a BPE tokenizer trained on real code."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="session")
def tiny_gpt2_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight GPT-2-architecture model (learned absolute positions)."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny-gpt2"), arch="gpt2")


@pytest.fixture(scope="session")
def embedded_model_dir() -> Path:
    """The embedded SmolLM2-135M-Instruct, converted once into the user's cache."""
    from ghostls.providers.embedded import ensure_embedded_model

    return ensure_embedded_model()


@pytest.fixture
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private GHOSTLS_CACHE_DIR for tests that write caches (index, adapters)."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("GHOSTLS_CACHE_DIR", str(cache))
    return cache
