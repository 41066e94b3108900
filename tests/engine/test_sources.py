"""Model sources (a GGUF file, a hub id without a hub) and what loading caches."""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import pytest

from ghostls.providers.base import ProviderError
from ghostls.providers.local import LocalProvider
from ghostls.providers.local.decoding import VocabIndex
from ghostls.providers.local.loading import load_vocab_index, resolve_source
from tests.engine.conftest import SOURCE, generate
from tests.engine.gguf_writer import write_llama_gguf


def test_gguf_file_loads_as_the_same_model(tiny_model_dir: Path, cacheless: LocalProvider, tmp_path: Path,
                                           isolated_cache: Path) -> None:
    gguf = write_llama_gguf(tiny_model_dir, tmp_path / "tiny.gguf")
    provider = LocalProvider(model=str(gguf))
    provider.load()
    assert provider.status()["model"] == "tiny.gguf"
    text = SOURCE[:900]
    assert provider.counter.encode(text) == cacheless.counter.encode(text)
    assert generate(provider, text) == generate(cacheless, text)
    # Converted once into the cache; the next load reads the plain copy.
    converted = list((isolated_cache / "models").glob("tiny-*"))
    assert len(converted) == 1 and (converted[0] / "config.json").is_file()
    before = converted[0].stat().st_mtime_ns
    again = LocalProvider(model=str(gguf))
    again.load()
    assert converted[0].stat().st_mtime_ns == before


def test_hub_id_without_a_hub_fails_fast_with_a_way_out(monkeypatch: pytest.MonkeyPatch,
                                                        isolated_cache: Path, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    assert resolve_source("Qwen/Qwen2.5-Coder-1.5B").kind == "hub"
    provider = LocalProvider(model="Qwen/Qwen2.5-Coder-1.5B")
    started = time.perf_counter()
    with pytest.raises(ProviderError) as info:
        provider.load()
    assert time.perf_counter() - started < 30
    assert info.value.kind == "model-missing"
    assert "set 'ghostls.model' to its directory" in info.value.message


def test_vocab_index_is_cached_between_loads(tiny_model_dir: Path, cacheless: LocalProvider,
                                             isolated_cache: Path) -> None:
    fresh = VocabIndex(cacheless.tokenizer)
    first = load_vocab_index(str(tiny_model_dir), cacheless.tokenizer)
    files = list((isolated_cache / "vocab").glob("*.pkl"))
    assert len(files) == 1
    second = load_vocab_index(str(tiny_model_dir), cacheless.tokenizer)
    for probe in ["de", " self", "\n    ", "retur", "(", "x"]:
        assert sorted(second.consistent_with(probe)) == sorted(fresh.consistent_with(probe)) \
            == sorted(first.consistent_with(probe))
    files[0].write_bytes(b"not a pickle")  # a damaged cache file is rebuilt, not fatal
    rebuilt = load_vocab_index(str(tiny_model_dir), cacheless.tokenizer)
    assert rebuilt.consistent_with("de") == fresh.consistent_with("de")
    assert isinstance(pickle.loads(files[0].read_bytes()), VocabIndex)
