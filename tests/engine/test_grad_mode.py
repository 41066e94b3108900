"""A suspended generation must not leave the consumer's thread in inference mode."""

from __future__ import annotations

import threading
from pathlib import Path

import torch

from ghostls.providers.base import GenerationParams, RenderedPrompt
from ghostls.providers.local import LocalProvider


def test_consumer_keeps_autograd_while_a_generation_is_suspended(tiny_model_dir: Path) -> None:
    provider = LocalProvider(model=str(tiny_model_dir))
    provider.load()
    stream = provider.stream(RenderedPrompt(text="def f(x):\n    return x\n" * 10),
                             GenerationParams(max_new_tokens=40), threading.Event())
    try:
        next(stream)
        assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()
        weight = torch.ones(2, requires_grad=True)
        (weight * 3).sum().backward()  # training code in the same thread still works
        assert weight.grad is not None
    finally:
        stream.close()
