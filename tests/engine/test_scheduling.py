"""One model, many requests: newest first, and a cancelled request frees the model at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from ghostls.providers.base import GenerationCancelled, GenerationParams, RenderedPrompt
from ghostls.providers.local import LocalProvider
from tests.engine.conftest import SOURCE

LONG = GenerationParams(max_new_tokens=400)
SHORT = GenerationParams(max_new_tokens=4)


def count_forward_passes(provider: LocalProvider) -> list[int]:
    calls = [0]
    provider.model.register_forward_hook(lambda module, args, output: calls.__setitem__(0, calls[0] + 1))
    return calls


def queued_events(provider: LocalProvider) -> threading.Semaphore:
    """Released once per request that enters the queue (waiting for the model)."""
    entered = threading.Semaphore(0)
    provider.scheduler.queued_listeners.append(lambda ticket: entered.release())
    return entered


def holding(provider: LocalProvider, cancel: threading.Event) -> Iterator[str]:
    """A generation that has produced its first chunk and now holds the model."""
    gen = provider.stream(RenderedPrompt(text=SOURCE[:600]), LONG, cancel)
    assert next(gen)
    assert provider.scheduler.busy
    return gen


def run_in_thread(provider: LocalProvider, text: str, cancel: threading.Event, results: dict, key: str
                  ) -> threading.Thread:
    gen = provider.stream(RenderedPrompt(text=text), SHORT, cancel)  # takes its place in line now

    def consume() -> None:
        try:
            results[key] = "".join(gen)
        except GenerationCancelled:
            results[key] = GenerationCancelled

    thread = threading.Thread(target=consume)
    thread.start()
    return thread


def test_cancel_mid_generation_frees_the_model_within_one_step(cached: LocalProvider) -> None:
    calls = count_forward_passes(cached)
    cancel = threading.Event()
    gen = holding(cached, cancel)
    next(gen)
    before = calls[0]
    entered = queued_events(cached)
    results: dict = {}
    waiter = run_in_thread(cached, SOURCE[3000:3400], threading.Event(), results, "next")
    assert entered.acquire(timeout=30)
    cancel.set()
    with pytest.raises(GenerationCancelled):
        next(gen)
    assert calls[0] == before  # not one more forward pass after the cancel
    waiter.join(timeout=60)
    assert isinstance(results["next"], str)  # the waiting request got the model and finished
    assert not cached.scheduler.busy
    # The cancelled request's cache was handed back in a usable state.
    assert cached.prefix_cache.snapshot()["entries"] >= 1


def test_closing_the_stream_frees_the_model(cached: LocalProvider) -> None:
    gen = holding(cached, threading.Event())
    gen.close()  # the consumer stopped reading (e.g. it got enough lines)
    assert not cached.scheduler.busy


def test_newest_request_goes_first(cached: LocalProvider) -> None:
    cancel_first = threading.Event()
    gen = holding(cached, cancel_first)
    holder_ticket = cached.scheduler.order[-1]
    entered = queued_events(cached)
    results: dict = {}
    threads = []
    for i, key in enumerate(["old", "middle", "new"]):
        threads.append(run_in_thread(cached, SOURCE[i * 500:i * 500 + 300], threading.Event(), results, key))
        assert entered.acquire(timeout=30)
    assert cached.scheduler.waiting == 3
    gen.close()
    for thread in threads:
        thread.join(timeout=60)
    served = cached.scheduler.order[cached.scheduler.order.index(holder_ticket) + 1:]
    assert len(served) == 3
    assert served == sorted(served, reverse=True)  # newest ticket first
    assert all(isinstance(results[k], str) for k in ("old", "middle", "new"))


def test_cancelled_waiting_request_leaves_the_queue(cached: LocalProvider) -> None:
    gen = holding(cached, threading.Event())
    entered = queued_events(cached)
    results: dict = {}
    cancel = threading.Event()
    waiter = run_in_thread(cached, SOURCE[:300], cancel, results, "stale")
    assert entered.acquire(timeout=30)
    cancel.set()
    waiter.join(timeout=60)
    assert results["stale"] is GenerationCancelled
    assert cached.scheduler.waiting == 0
    assert cached.scheduler.busy  # the running generation was not disturbed
    gen.close()
