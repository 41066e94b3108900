"""The engine: sources under deadlines (a slow one is dropped, the rest still count), and the
whole prompt never over the model's window, counted by its own tokenizer."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ghostls.completion.pipeline import build_prompt, prompt_budget, run_completion
from ghostls.completion.request import CompletionRequest
from ghostls.context.corpus import WindowCorpus
from ghostls.context.engine import ContextEngine, SourceSlot
from ghostls.context.service import standard_slots
from ghostls.providers.base import ApproximateCounter, Snippet
from ghostls.providers.local.provider import LocalProvider
from ghostls.settings import ContextSettings, Settings


class Blocking:
    """A source that does not answer until released (a real stall, not a sleep)."""

    name = "slow"

    def __init__(self) -> None:
        self.started, self.release = threading.Event(), threading.Event()

    def __call__(self, query):
        self.started.set()
        self.release.wait(30)
        return [Snippet("slow = True\n", self.name, "slow.py", 0, 0)]


class Fixed:
    def __init__(self, name: str, snippets: list[Snippet] | None = None, error: Exception | None = None) -> None:
        self.name, self.snippets, self.error = name, snippets or [], error

    def __call__(self, query):
        if self.error:
            raise self.error
        return self.snippets


FAST = Snippet("def parse_header(line):\n    return line.split(':', 1)\n", "definition", "/w/headers.py", 0, 1)
REQUEST = CompletionRequest("import headers\n\nfor line in lines:\n    ", 37, path="/w/main.py", language="python",
                            uri="file:///w/main.py")


def engine_with(*slots: SourceSlot, **overrides) -> ContextEngine:
    return ContextEngine(list(slots), lambda: ContextSettings(**overrides), lambda: None)


def test_a_slow_source_is_dropped_by_its_deadline_and_the_rest_still_come(caplog):
    slow = Blocking()
    engine = engine_with(SourceSlot(slow, lambda s: 20, lambda s: True),
                         SourceSlot(Fixed("definition", [FAST]), lambda s: 5000, lambda s: True))
    try:
        with caplog.at_level(logging.INFO, logger="ghostls.context"):
            result = engine.build(REQUEST, 256)
        assert slow.started.is_set()
        assert result.dropped == {"slow": "missed its deadline of 20 ms"}
        assert [s.text for s in result.snippets] == [FAST.text]
        assert "context source slow dropped: missed its deadline of 20 ms" in caplog.text
        # While it still runs, the next request does not wait for it again.
        again = engine.build(REQUEST, 256)
        assert again.dropped == {"slow": "still busy with an earlier request"}
        assert [s.text for s in again.snippets] == [FAST.text]
    finally:
        slow.release.set()
        engine.close()


def test_a_failing_source_is_dropped_and_logged(caplog):
    engine = engine_with(SourceSlot(Fixed("similar", error=RuntimeError("index gone")), lambda s: 1000, lambda s: True),
                         SourceSlot(Fixed("definition", [FAST]), lambda s: 1000, lambda s: True))
    with caplog.at_level(logging.WARNING, logger="ghostls.context"):
        result = engine.build(REQUEST, 256)
    assert "index gone" in result.dropped["similar"] and "context source similar failed" in caplog.text
    assert [s.path for s in result.snippets] == [FAST.path]
    engine.close()


def test_disabled_sources_and_disabled_context_give_nothing():
    slot = SourceSlot(Fixed("definition", [FAST]), lambda s: 1000, lambda s: s.definitions)
    assert engine_with(slot, definitions=False).build(REQUEST, 256).snippets == ()
    assert engine_with(slot, enable=False).build(REQUEST, 256).snippets == ()
    assert engine_with(slot).build(REQUEST, 256).snippets


@pytest.fixture(scope="module")
def tiny_provider(tiny_model_dir: Path) -> LocalProvider:
    provider = LocalProvider(model=str(tiny_model_dir), device="cpu", context_size=512)
    provider.load()
    return provider


def test_the_completion_still_comes_when_a_source_is_dropped(tiny_provider):
    slow = Blocking()
    engine = ContextEngine([SourceSlot(slow, lambda s: 10, lambda s: True),
                            SourceSlot(Fixed("definition", [FAST]), lambda s: 5000, lambda s: True)],
                           lambda: ContextSettings(), lambda: tiny_provider.counter)
    try:
        result = run_completion(REQUEST, tiny_provider, Settings(max_new_tokens=8), threading.Event(), engine)
        assert result.prompt is not None and "parse_header" in result.prompt.text
        assert "slow = True" not in result.prompt.text
        assert "context" in result.timings and "generate" in result.timings
    finally:
        slow.release.set()
        engine.close()


_line = st.lists(st.sampled_from(list("abcdefghij_():=.,'\" 0123456789é→") + ["    ", "def ", "return "]),
                 max_size=30).map("".join)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_line, min_size=1, max_size=300), other=st.lists(_line, min_size=1, max_size=300),
       at=st.floats(min_value=0, max_value=1), context_size=st.integers(min_value=64, max_value=512),
       max_new=st.integers(min_value=1, max_value=48))
def test_the_prompt_never_exceeds_the_window(tiny_provider, lines, other, at, context_size, max_new):
    text = "\n".join(lines)
    corpus = WindowCorpus()
    corpus.set_file("/w/other.py", "\n".join(other))
    corpus.rebuild()
    engine = ContextEngine(standard_slots(lambda: None, corpus, None, None), lambda: ContextSettings(),
                           lambda: tiny_provider.counter)
    request = CompletionRequest(text, int(len(text) * at), path="/w/main.py", language="python", uri="file:///w/main.py")
    cfg = Settings(context_size=context_size, max_new_tokens=max_new)
    budget = prompt_budget(cfg, tiny_provider)
    snippets = engine(request, budget // 2)
    assert sum(tiny_provider.counter.count(s.text) for s in snippets) <= budget // 2
    prompt = build_prompt(request, tiny_provider, cfg, snippets)
    assert prompt.token_count == tiny_provider.counter.count(prompt.text)
    assert prompt.token_count + max_new <= context_size
    engine.close()


def test_context_share_caps_the_budget_offered():
    many = [Snippet(f"def f{i}(x):\n    return x + {i}\n", "definition", f"/w/m{i}.py", 0, 1) for i in range(40)]
    slot = SourceSlot(Fixed("definition", many), lambda s: 1000, lambda s: True)
    full = ContextEngine([slot], lambda: ContextSettings(), lambda: None, prompt_budget=lambda: 1000)
    small = ContextEngine([slot], lambda: ContextSettings(context_share=0.1), lambda: None, prompt_budget=lambda: 1000)
    counter = ApproximateCounter()  # what the engine counts with when no model is loaded
    used = [sum(counter.count(s.text) + counter.count(s.path) + 4 for s in e(REQUEST, 500)) for e in (full, small)]
    assert used[1] <= 100 < used[0] <= 500
    full.close()
    small.close()
