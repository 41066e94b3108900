"""A small workspace, a LoRA adapter trained on the tiny model for a few steps."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from ghostls.finetune.examples import build_examples, collect_files, split_by_file
from ghostls.finetune.session import load_base
from ghostls.finetune.store import base_fingerprint, save_adapter
from ghostls.finetune.train import TrainConfig, add_lora, train

# Two cores shared with other work: one torch thread each (two spin against each other, 10-40x slower).
torch.set_num_threads(1)
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

EMAIL = Path(os.path.dirname(os.__file__)) / "email"
PATTERN = "result = ghost_registry.lookup(key, default=None)\n"


def pattern_workspace(root: Path) -> Path:
    """Files that repeat one distinctive line: an adapter trained on them writes it."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(4):
        body = "".join(f"def handler_{i}_{j}(key):\n    {PATTERN}    return result\n\n\n" for j in range(30))
        (root / f"handlers_{i}.py").write_text(body)
    return root


@pytest.fixture(scope="session")
def trained_adapter(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An adapter for the tiny model, trained until it writes PATTERN, saved with metadata."""
    workspace = pattern_workspace(tmp_path_factory.mktemp("pattern-ws"))
    base = load_base(str(tiny_model_dir), device="cpu")
    split = split_by_file(collect_files(workspace), 0.25, 0)
    examples = build_examples(split.train, base.profile, seed=0, max_bytes=600)
    config = TrainConfig(seed=0, max_tokens=40_000, budget_seconds=120, learning_rate=1e-2, rank=8, alpha=16,
                         seq_tokens=256, max_epochs=50)
    model = add_lora(base.model, config)
    train(model, base.tokenizer, examples, config, device="cpu")
    out = tmp_path_factory.mktemp("adapters") / "pattern"
    return save_adapter(model, out, {"baseModel": "tiny", "baseFingerprint": base_fingerprint(base.model),
                                     "dataHash": split.data_hash, "figures": {"note": "test"}})
