from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.tiny_model import build_tiny_model


@pytest.fixture(scope="session")
def runaway_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real tiny model that never stops on its own (final norm zeroed: every logit is 0, so
    greedy decoding repeats token 0, a plain '!'), for tests that need generations to be
    stopped by cancellation rather than by the model."""
    import torch
    from transformers import AutoModelForCausalLM

    out = build_tiny_model(tmp_path_factory.mktemp("runaway"), special_tokens=[])
    model = AutoModelForCausalLM.from_pretrained(out)
    with torch.no_grad():
        model.model.norm.weight.zero_()
    model.save_pretrained(out)
    return out
