"""Adapters saved, loaded onto a real LocalProvider and removed: identical outputs each way."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
import torch

from ghostls.finetune.adapters import active_adapter, set_adapter
from ghostls.finetune.store import METADATA, read_metadata
from ghostls.providers.base import GenerationParams, ProviderError, RenderedPrompt
from ghostls.providers.local import LocalProvider
from tests.finetune.conftest import PATTERN

PROMPT = "def handler_9_1(key):\n    result = "


def _logits(model, tokenizer) -> torch.Tensor:
    ids = torch.tensor([tokenizer(PROMPT, add_special_tokens=False)["input_ids"]])
    with torch.no_grad():
        return model(input_ids=ids).logits[0]


def _complete(provider: LocalProvider) -> str:
    params = GenerationParams(max_new_tokens=12)
    return "".join(provider.stream(RenderedPrompt(text=PROMPT), params, threading.Event()))


def test_round_trip_gives_identical_outputs_and_removal_restores_the_base(tiny_model_dir: Path,
                                                                         trained_adapter: Path) -> None:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    provider = LocalProvider(model=str(tiny_model_dir), device="cpu", kv_cache_mb=16)
    provider.load()
    base_logits = _logits(provider.model, provider.tokenizer)
    base_text = _complete(provider)
    model_object = provider.model

    info = set_adapter(provider, str(trained_adapter))
    assert info is not None and active_adapter(provider) == info
    assert info.data_hash and info.figures == {"note": "test"} and Path(info.path) == trained_adapter.resolve()
    assert provider.model is model_object  # adapted in place: the provider's engine keeps its model
    assert provider.prefix_cache.snapshot()["entries"] == 0  # keys computed without the adapter are gone
    adapted_logits = _logits(provider.model, provider.tokenizer)
    # the same adapter applied by peft itself to a freshly loaded base: bit-identical outputs
    fresh = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(str(tiny_model_dir)), str(trained_adapter))
    assert torch.equal(adapted_logits, _logits(fresh.eval(), provider.tokenizer))
    assert not torch.allclose(adapted_logits, base_logits)
    adapted_text = _complete(provider)
    assert adapted_text != base_text and PATTERN.split("= ")[1].split("(")[0] in adapted_text

    assert set_adapter(provider, "") is None and active_adapter(provider) is None
    assert torch.equal(_logits(provider.model, provider.tokenizer), base_logits)
    assert _complete(provider) == base_text
    # and on again: switching back and forth never drifts
    set_adapter(provider, str(trained_adapter))
    assert torch.equal(_logits(provider.model, provider.tokenizer), adapted_logits)


def test_bad_adapters_get_clear_errors_and_leave_the_base(tiny_model_dir: Path, trained_adapter: Path,
                                                          tmp_path: Path) -> None:
    provider = LocalProvider(model=str(tiny_model_dir), device="cpu", kv_cache_mb=0)
    provider.load()
    base_logits = _logits(provider.model, provider.tokenizer)
    with pytest.raises(ProviderError, match="No adapter folder"):
        set_adapter(provider, str(tmp_path / "missing"))
    with pytest.raises(ProviderError, match="adapter_config.json"):
        set_adapter(provider, str(tmp_path))
    other = tmp_path / "other-model"
    shutil.copytree(trained_adapter, other)
    meta = read_metadata(other)
    (other / METADATA).write_text(json.dumps({**meta, "baseModel": "SomeOther-1B", "baseFingerprint": "0" * 16}))
    with pytest.raises(ProviderError, match="SomeOther-1B"):
        set_adapter(provider, str(other))
    corrupt = tmp_path / "corrupt"
    shutil.copytree(trained_adapter, corrupt)
    (corrupt / "adapter_model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ProviderError, match="Could not apply"):
        set_adapter(provider, str(corrupt))
    assert active_adapter(provider) is None
    assert torch.equal(_logits(provider.model, provider.tokenizer), base_logits)
