"""LoRA training on the real tiny model: loss goes down, a seed reproduces, stop is clean."""

from __future__ import annotations

import threading
from pathlib import Path

import torch

from ghostls.finetune.evaluate import next_line_match, perplexity
from ghostls.finetune.examples import build_examples, collect_files, next_line_positions, split_by_file
from ghostls.finetune.session import load_base
from ghostls.finetune.train import TrainConfig, add_lora, train
from tests.finetune.conftest import EMAIL


def _data(profile):
    files = [f for f in collect_files(EMAIL) if f.rel in ("errors.py", "base64mime.py", "encoders.py",
                                                          "iterators.py")]
    split = split_by_file(files, 0.25, 0)
    return split, build_examples(split.train, profile, seed=0, max_bytes=600)


def _lora_state(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.named_parameters() if "lora_" in k}


def test_a_few_steps_lower_the_loss_on_the_training_data(tiny_model_dir: Path) -> None:
    base = load_base(str(tiny_model_dir), device="cpu")
    split, examples = _data(base.profile)
    assert {e.kind for e in examples} == {"lines", "fim"}  # the tiny model's profile has FIM tokens
    before = perplexity(base.model, base.tokenizer, examples, device="cpu", seq_tokens=256)
    config = TrainConfig(seed=0, max_tokens=12_000, budget_seconds=120, learning_rate=5e-3, rank=8, alpha=16,
                         seq_tokens=256, max_epochs=20)
    model = add_lora(base.model, config)
    seen = []
    result = train(model, base.tokenizer, examples, config, device="cpu", progress=seen.append)
    after = perplexity(model, base.tokenizer, examples, device="cpu", seq_tokens=256)
    assert result.stopped == "tokens" and result.tokens >= 12_000 and result.steps == len(seen)
    assert after["tokens"] == before["tokens"]
    assert after["perplexity"] < 0.85 * before["perplexity"], (before, after)
    assert seen[-1].fraction == 1.0 and seen[0].eta_s > 0
    # the held-out figures are computed the same way (smoke: real numbers, real lines)
    positions = next_line_positions(split.held_out, base.profile, count=4, seed=0)
    lines = next_line_match(model, base.tokenizer, positions, device="cpu", max_new_tokens=8)
    assert lines["positions"] == 4 and 0 <= lines["exactMatch"] <= 1


def test_the_same_seed_and_token_budget_give_the_same_adapter(tiny_model_dir: Path) -> None:
    states = []
    for seed in (3, 3, 4):
        base = load_base(str(tiny_model_dir), device="cpu")
        _, examples = _data(base.profile)
        config = TrainConfig(seed=seed, max_tokens=1500, budget_seconds=120, rank=4, alpha=8, seq_tokens=128)
        model = add_lora(base.model, config)
        train(model, base.tokenizer, examples, config, device="cpu")
        states.append(_lora_state(model))
    same, other = states[0], states[2]
    assert same.keys() == states[1].keys() and len(same) > 0
    assert all(torch.equal(same[k], states[1][k]) for k in same)
    assert not all(torch.equal(same[k], other[k]) for k in same)


def test_stop_is_honoured_between_steps(tiny_model_dir: Path) -> None:
    base = load_base(str(tiny_model_dir), device="cpu")
    _, examples = _data(base.profile)
    config = TrainConfig(seed=0, budget_seconds=600, rank=4, alpha=8, seq_tokens=128)
    model = add_lora(base.model, config)
    stop = threading.Event()

    def on_step(p) -> None:
        if p.step == 3:
            stop.set()

    result = train(model, base.tokenizer, examples, config, device="cpu", stop=stop, progress=on_step)
    assert result.stopped == "interrupted" and result.steps == 3
    assert all(torch.isfinite(p).all() for p in _lora_state(model).values())
