"""Greedy branches and teacher-forced scoring (the engine half of suffix-aware reranking),
checked against plain computations with the same real tiny model."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import torch

from ghostls.providers.base import GenerationCancelled, GenerationParams, RenderedPrompt
from ghostls.providers.local import LocalProvider
from tests.engine.conftest import SOURCE

PROMPT = SOURCE[:900]


def full_logits(provider: LocalProvider, ids: list[int]) -> torch.Tensor:
    with torch.inference_mode():
        return provider.model(input_ids=torch.tensor([ids])).logits[0].float()


def reference_score(provider: LocalProvider, prompt: str, continuations: list[str]) -> list[float]:
    """Sum of log-probabilities of each joint text's tokens from the first position where any
    continuation departs from the prompt's own tokens: one uncached forward pass each."""
    base = provider.counter.encode(prompt)
    joint = [provider.counter.encode(prompt + c) for c in continuations]

    def common(a: list[int], b: list[int]) -> int:
        n = 0
        while n < min(len(a), len(b)) and a[n] == b[n]:
            n += 1
        return n

    start = min(common(base, ids) for ids in joint)
    scores = []
    for ids in joint:
        logp = torch.log_softmax(full_logits(provider, ids), dim=-1)
        scores.append(sum(float(logp[t - 1, ids[t]]) for t in range(start, len(ids))))
    return scores


@pytest.mark.parametrize("options", [{"kv_cache_mb": 0}, {"kv_cache_mb": 64}, {"static_cache": True}],
                         ids=["no-cache", "prefix-cache", "static-cache"])
def test_score_is_the_teacher_forced_log_probability(tiny_model_dir: Path, options: dict) -> None:
    provider = LocalProvider(model=str(tiny_model_dir), **options)
    provider.load()
    # Warm the cache with the prompt, as the pipeline does (the branches were generated first).
    "".join(provider.stream(RenderedPrompt(text=PROMPT), GenerationParams(max_new_tokens=4), threading.Event()))
    # The last one merges with the prompt's final characters when tokenized together.
    continuations = ["    return self.text\n", "    pass\n    return None\n", "x = 1", PROMPT[-3:] + "z"]
    got = provider.score(RenderedPrompt(text=PROMPT), continuations, threading.Event())
    want = reference_score(provider, PROMPT, continuations)
    assert got == pytest.approx(want, abs=2e-3)
    assert all(s < 0 for s in got)
    # Scoring leaves the engine as it was: generation afterwards is unchanged.
    fresh = LocalProvider(model=str(tiny_model_dir), kv_cache_mb=0, prompt_lookup=0)
    fresh.load()
    params = GenerationParams(max_new_tokens=12)
    assert "".join(provider.stream(RenderedPrompt(text=PROMPT), params, threading.Event())) == \
        "".join(fresh.stream(RenderedPrompt(text=PROMPT), params, threading.Event()))


def test_scoring_is_cancellable(tiny_model_dir: Path) -> None:
    provider = LocalProvider(model=str(tiny_model_dir))
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(GenerationCancelled):
        provider.score(RenderedPrompt(text=PROMPT), ["a", "b"], cancel)
    assert not provider.scheduler.busy


def reference_branch(provider: LocalProvider, prompt: str, k: int, max_new_tokens: int) -> str:
    """Greedy with the k-th best token at the first choice that writes code, computed plainly:
    one uncached forward pass per token, the prompt healed as the engine heals it."""
    ids = provider.counter.encode(prompt)
    heal = provider.tokenizer.decode(ids[-1:])
    ids = ids[:-1]
    generated: list[int] = []
    branched = k == 0
    while len(generated) < max_new_tokens:
        row = full_logits(provider, ids + generated)[-1]
        done = provider.tokenizer.decode(generated)
        remaining = heal[len(done):] if len(done) < len(heal) else ""
        if remaining:
            mask = torch.full_like(row, float("-inf"))
            mask[provider._vocab.consistent_with(remaining)] = 0
            row = row + mask
        order = torch.argsort(row, descending=True).tolist()
        token = order[0]
        if not branched and not remaining and provider.tokenizer.decode([token]).strip():
            token = ([order[0]] + [t for t in order[1:] if t not in provider._stop_ids])[k]
            branched = True
        if token in provider._stop_ids:
            break
        generated.append(token)
    return provider.tokenizer.decode(generated)[len(heal):]


@pytest.mark.parametrize("prompt", ["x = ", "class A:\n    def f(self):\n        return self.", PROMPT])
def test_branch_takes_the_kth_best_first_code_token_then_goes_on_greedily(tiny_model_dir: Path,
                                                                          prompt: str) -> None:
    provider = LocalProvider(model=str(tiny_model_dir), kv_cache_mb=64)  # with cache and drafting
    provider.load()
    outputs = ["".join(provider.stream(RenderedPrompt(text=prompt), GenerationParams(max_new_tokens=8, branch=k),
                                       threading.Event())) for k in range(3)]
    assert len(set(outputs)) == 3  # distinct alternatives
    assert outputs == [reference_branch(provider, prompt, k, 8) for k in range(3)]


@pytest.mark.parametrize("prompt", ["x = ", "class A:\n    def f(self):\n        return self.", PROMPT])
def test_batched_alternatives_equal_the_branches_one_by_one(tiny_model_dir: Path, prompt: str) -> None:
    """The batch (shared part once, rows in lockstep, rows leaving as they finish) gives each
    branch's own text; ``done`` ends a row early, as streaming early stop does."""
    provider = LocalProvider(model=str(tiny_model_dir), kv_cache_mb=64)
    provider.load()
    params = GenerationParams(max_new_tokens=10)
    one_by_one = ["".join(provider.stream(RenderedPrompt(text=prompt), GenerationParams(max_new_tokens=10, branch=k),
                                          threading.Event())) for k in range(4)]
    assert provider.alternatives(RenderedPrompt(text=prompt), params, 4, lambda text: False,
                                 threading.Event()) == one_by_one
    # A row whose text is complete leaves the batch; the others go on.
    short = provider.alternatives(RenderedPrompt(text=prompt), params, 4, lambda text: len(text) >= 3,
                                  threading.Event())
    for text, full in zip(short, one_by_one, strict=True):
        assert full.startswith(text) and (len(text) >= 3 or text == full)
        assert len(text) < len(full) or text == full


def test_batched_alternatives_are_cancellable(tiny_model_dir: Path) -> None:
    provider = LocalProvider(model=str(tiny_model_dir))
    cancel = threading.Event()
    calls = []

    def done(text: str) -> bool:
        calls.append(text)
        cancel.set()  # cancelled while generating
        return False

    with pytest.raises(GenerationCancelled):
        provider.alternatives(RenderedPrompt(text=PROMPT), GenerationParams(max_new_tokens=30), 3, done, cancel)
    assert calls and not provider.scheduler.busy
