"""The LoRA training loop: bounded by tokens or time, seeded, stoppable between steps.

Only the low-rank adapter weights train (``peft``); the base model stays frozen, so the
optimizer state is small and a 135M model trains on two CPU cores.  Examples are tokenized
with the model's own tokenizer, packed into sequences of ``seq_tokens``, and shuffled with
the seed; the learning rate schedule follows the budget so that a token budget gives the same
adapter on every run (a time budget stops at a step that depends on the machine's speed).
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ghostls.finetune.examples import Example

log = logging.getLogger(__name__)

IGNORE = -100
WARMUP_STEPS = 10
DECAY_FROM = 0.8  # the last 20% of the budget decays the learning rate linearly to 10%


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 0
    budget_seconds: float = 600.0
    max_tokens: int = 0  # 0: no token budget (the time budget applies)
    max_epochs: float = 3.0
    learning_rate: float = 1e-3
    rank: int = 16
    alpha: int = 32
    seq_tokens: int = 512
    checkpoint_every_s: float = 60.0


@dataclass(frozen=True)
class TrainProgress:
    step: int
    tokens: int
    loss: float  # smoothed
    elapsed_s: float
    fraction: float  # of the budget used, 0..1
    eta_s: float


@dataclass
class TrainResult:
    steps: int = 0
    tokens: int = 0
    seconds: float = 0.0
    epochs: float = 0.0
    stopped: str = ""  # "time" | "tokens" | "epochs" | "interrupted" | "diverged"
    first_loss: float | None = None
    last_loss: float | None = None
    losses: list[float] = field(default_factory=list)  # per step

    def as_json(self) -> dict[str, Any]:
        return {"steps": self.steps, "tokens": self.tokens, "seconds": round(self.seconds, 2),
                "epochs": round(self.epochs, 3), "stopped": self.stopped,
                "firstLoss": self.first_loss, "lastLoss": self.last_loss}


Sequence_ = tuple[list[int], list[int]]  # input ids, labels (IGNORE where no loss)


def encode(tokenizer: Any, examples: Sequence[Example], seq_tokens: int) -> list[Sequence_]:
    """Each example as (ids, labels); prompts are cut from the left, targets from the right."""
    out: list[Sequence_] = []
    for ex in examples:
        prompt = _ids(tokenizer, ex.prompt)
        target = _ids(tokenizer, ex.target)
        if not target:
            continue
        if len(target) >= seq_tokens:
            prompt, target = [], target[:seq_tokens]
        elif len(prompt) + len(target) > seq_tokens:
            prompt = prompt[len(prompt) + len(target) - seq_tokens:]
        out.append((prompt + target, [IGNORE] * len(prompt) + target))
    return out


def _ids(tokenizer: Any, text: str) -> list[int]:
    return list(tokenizer(text, add_special_tokens=False)["input_ids"]) if text else []


def pack(encoded: Sequence[Sequence_], seq_tokens: int, rng: random.Random | None = None) -> list[Sequence_]:
    """Concatenate examples (shuffled when ``rng`` is given) into sequences of at most ``seq_tokens``."""
    order = list(range(len(encoded)))
    if rng is not None:
        rng.shuffle(order)
    packed: list[Sequence_] = []
    ids: list[int] = []
    labels: list[int] = []
    for i in order:
        e_ids, e_labels = encoded[i]
        if ids and len(ids) + len(e_ids) > seq_tokens:
            packed.append((ids, labels))
            ids, labels = [], []
        ids = ids + e_ids
        labels = labels + e_labels
    if ids:
        packed.append((ids, labels))
    return packed


def target_tokens(seqs: Sequence[Sequence_]) -> int:
    """Tokens that carry a loss (a sequence's first token predicts nothing)."""
    return sum(sum(1 for t in labels[1:] if t != IGNORE) for _, labels in seqs)


def add_lora(model: Any, config: TrainConfig) -> Any:
    """Wrap ``model`` with fresh LoRA adapters on every linear layer (seeded initialisation)."""
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(config.seed)
    lora = LoraConfig(r=config.rank, lora_alpha=config.alpha, lora_dropout=0.0, target_modules="all-linear",
                      task_type="CAUSAL_LM", bias="none")
    return get_peft_model(model, lora)


def sequence_loss(model: Any, ids: list[int], labels: list[int], device: str) -> tuple[Any, int]:
    """Summed cross-entropy over the labelled tokens, and how many there were."""
    import torch

    input_ids = torch.tensor([ids], device=device)
    target = torch.tensor([labels[1:]], device=device)
    logits = model(input_ids=input_ids, use_cache=False).logits[:, :-1, :].float()
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                                             ignore_index=IGNORE, reduction="sum")
    return loss, int((target != IGNORE).sum())


def train(model: Any, tokenizer: Any, examples: Sequence[Example], config: TrainConfig, *, device: str,
          stop: threading.Event | None = None, progress: Callable[[TrainProgress], None] | None = None,
          checkpoint: Callable[[TrainResult], None] | None = None) -> TrainResult:
    """Train ``model`` (already wrapped by :func:`add_lora`) until a budget runs out or ``stop`` is set.

    ``stop`` is only looked at between steps, so the weights are never left half-updated;
    ``checkpoint`` is called every ``checkpoint_every_s`` seconds with the progress so far.
    """
    import torch

    stop = stop or threading.Event()
    rng = random.Random(config.seed)
    torch.manual_seed(config.seed)
    encoded = encode(tokenizer, examples, config.seq_tokens)
    epoch_tokens = max(1, target_tokens(encoded))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=0.0)
    result = TrainResult()
    model.train()
    started = last_checkpoint = time.perf_counter()
    smoothed: float | None = None
    bad_steps = 0
    while not result.stopped:
        batches = pack(encoded, config.seq_tokens, rng)
        if not batches:
            result.stopped = "no-data"
            break
        for ids, labels in batches:
            elapsed = time.perf_counter() - started
            fraction = _fraction(result, config, elapsed)
            if stop.is_set():
                result.stopped = "interrupted"
            elif config.max_tokens and result.tokens >= config.max_tokens:
                result.stopped = "tokens"
            elif config.budget_seconds and elapsed >= config.budget_seconds:
                result.stopped = "time"
            elif result.tokens >= config.max_epochs * epoch_tokens:
                result.stopped = "epochs"
            if result.stopped:
                break
            for group in optimizer.param_groups:
                group["lr"] = _learning_rate(config.learning_rate, result.steps, fraction)
            loss_sum, count = sequence_loss(model, ids, labels, device)
            if count == 0:
                continue
            loss = loss_sum / count
            if not torch.isfinite(loss):
                optimizer.zero_grad(set_to_none=True)
                bad_steps += 1
                if bad_steps >= 3:
                    result.stopped = "diverged"
                continue
            bad_steps = 0
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            value = float(loss.detach())
            result.steps += 1
            result.tokens += count
            result.losses.append(round(value, 5))
            result.first_loss = value if result.first_loss is None else result.first_loss
            result.last_loss = value
            smoothed = value if smoothed is None else 0.9 * smoothed + 0.1 * value
            now = time.perf_counter()
            result.seconds = now - started
            result.epochs = result.tokens / epoch_tokens
            if progress is not None:
                done = _fraction(result, config, result.seconds)
                eta = result.seconds * (1 - done) / done if done > 0 else math.inf
                progress(TrainProgress(result.steps, result.tokens, smoothed, result.seconds, done, eta))
            if checkpoint is not None and now - last_checkpoint >= config.checkpoint_every_s:
                checkpoint(result)
                last_checkpoint = time.perf_counter()
    result.seconds = time.perf_counter() - started
    model.eval()
    log.info("training stopped (%s) after %d steps, %d tokens, %.1fs", result.stopped, result.steps,
             result.tokens, result.seconds)
    return result


def _fraction(result: TrainResult, config: TrainConfig, elapsed: float) -> float:
    parts = [elapsed / config.budget_seconds if config.budget_seconds > 0 else 0.0]
    if config.max_tokens:
        parts = [result.tokens / config.max_tokens]  # tokens decide: reproducible
    return min(1.0, max(parts))


def _learning_rate(base: float, step: int, fraction: float) -> float:
    warm = min(1.0, (step + 1) / WARMUP_STEPS)
    decay = 1.0 if fraction < DECAY_FROM else max(0.1, (1.0 - fraction) / (1.0 - DECAY_FROM))
    return base * warm * decay
