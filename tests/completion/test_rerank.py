"""Suffix-aware reranking (ghostls/completion/rerank.py): when it runs, what it scores, and that
the pipeline suggests the alternative the model finds most likely together with the code below."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from ghostls.completion.cache import CompletionCache
from ghostls.completion.pipeline import blind_shape, run_completion
from ghostls.completion.request import Completion
from ghostls.completion.rerank import SUFFIX_LINES, continuation, wants_rerank
from ghostls.completion.shape import decide_shape
from ghostls.providers.local.provider import LocalProvider
from ghostls.providers.profiles import PROFILES
from ghostls.settings import parse_settings
from tests.completion.table import request_at

BETWEEN = "def f(xs):\n    total = 0\n    █\n    return total\n"


def settings_of(raw: dict):
    settings, problems = parse_settings(raw)
    assert not problems
    return settings


def holder(profile: str, can_score: bool = True) -> SimpleNamespace:
    """Only the profile and whether ``alternatives`` and ``score`` exist are consulted by ``wants_rerank``."""
    engine = {"score": lambda *a: [], "alternatives": lambda *a: []} if can_score else {}
    return SimpleNamespace(profile=PROFILES[profile], **engine)


@pytest.mark.parametrize("doc,profile,can_score,alternatives,temperature,expected", [
    (BETWEEN, "prefix-only", True, 3, 0.0, True),  # blind model, code below: rerank
    (BETWEEN, "starcoder2", True, 3, 0.0, False),  # a FIM model saw the code below already
    (BETWEEN, "prefix-only", False, 3, 0.0, False),  # provider cannot score (e.g. Bedrock)
    (BETWEEN, "prefix-only", True, 1, 0.0, False),  # turned off
    (BETWEEN, "prefix-only", True, 3, 0.4, False),  # sampling: no greedy alternatives
    ("def f(xs):\n    total = 0\n    █\n", "prefix-only", True, 3, 0.0, False),  # nothing below
    ("def f(xs):\n    total = 0\n    █\n\ndef g():\n    pass\n", "prefix-only", True, 3, 0.0, False),
    ("x = compute(█)\nprint(x)\n", "prefix-only", True, 3, 0.0, True),  # mid-line, code below
])
def test_when_reranking_runs(doc: str, profile: str, can_score: bool, alternatives: int, temperature: float,
                             expected: bool) -> None:
    request = request_at(doc)
    provider = holder(profile, can_score)
    shape = blind_shape(decide_shape(request, 8), request, provider)
    assert wants_rerank(request, shape, provider, alternatives, temperature) is expected


@pytest.mark.parametrize("invoked,device,while_typing,expected", [
    (True, "cpu", "gpu", True),  # asked for: always
    (False, "cpu", "gpu", False),  # while typing on a CPU: one suggestion, fast
    (False, "cuda", "gpu", True),  # while typing on a GPU: the batch is nearly free
    (False, "cpu", "always", True),
    (False, "cuda", "never", False),
    (True, "cpu", "never", True),
])
def test_while_typing_only_where_it_is_cheap(invoked: bool, device: str, while_typing: str, expected: bool) -> None:
    request = request_at(BETWEEN, invoked=invoked)
    provider = holder("prefix-only")
    provider.device = device
    shape = blind_shape(decide_shape(request, 8), request, provider)
    assert wants_rerank(request, shape, provider, 3, 0.0, while_typing) is expected


def test_continuation_is_the_suggestion_then_the_next_code_lines() -> None:
    doc = "def f(xs):\n    █)  # done\n\n" + "".join(f"    line{i}\n" for i in range(10))
    request = request_at(doc)
    item = Completion("return len(xs", request.offset, request.offset + 1)  # takes in the ')'
    text = continuation(request, item)
    assert text == "return len(xs  # done\n\n" + "".join(f"    line{i}\n" for i in range(SUFFIX_LINES)).rstrip("\n")


@pytest.fixture(scope="module")
def blind_provider(tiny_model_dir: Path) -> LocalProvider:
    """The tiny real model treated as prefix-only (its tokenizer has FIM tokens)."""
    provider = LocalProvider(model=str(tiny_model_dir), profile="prefix-only")
    provider.load()
    return provider


def test_pipeline_suggests_the_best_scored_alternative(blind_provider: LocalProvider) -> None:
    doc = "value = compute(█)\nprint(value)\n"
    request = request_at(doc, invoked=False)
    # The random-weight model writes nonsense: keep it (no syntax check) to have alternatives.
    settings = settings_of({"maxNewTokens": 8, "inline": {"rerank": 3, "candidates": 3, "syntaxCheck": False,
                                                           "rerankWhileTyping": "always"}})
    result = run_completion(request, blind_provider, settings, threading.Event())
    assert result.reranked and result.model_calls == 1  # one batched generation
    # Recompute independently: every distinct alternative, scored with the code below it.
    invoked = run_completion(request_at(doc, invoked=True), blind_provider, settings, threading.Event())
    alternatives = invoked.items
    assert invoked.reranked and len(alternatives) >= 2
    scores = blind_provider.score(invoked.prompt, [continuation(request, i) for i in alternatives],
                                  threading.Event())
    assert scores == sorted(scores, reverse=True)  # invoked candidates come best first
    assert result.items[0].text == alternatives[0].text
    off = run_completion(request, blind_provider, settings_of({"maxNewTokens": 8, "inline": {"rerank": 0}}),
                         threading.Event())
    assert not off.reranked and off.model_calls == 1


def test_a_repeated_request_reuses_the_ranked_outputs(blind_provider: LocalProvider) -> None:
    doc = "x = █\nprint(x)\n"
    settings = settings_of({"maxNewTokens": 8, "inline": {"rerank": 3, "syntaxCheck": False,
                                                           "rerankWhileTyping": "always"}})
    cache = CompletionCache(settings.inline.cache_size)
    first = run_completion(request_at(doc, invoked=False), blind_provider, settings, threading.Event(), cache=cache)
    again = run_completion(request_at(doc, invoked=False), blind_provider, settings, threading.Event(), cache=cache)
    assert first.reranked and first.model_calls == 1
    assert again.cached == "prompt" and again.model_calls == 0
    assert [i.text for i in again.items] == [i.text for i in first.items]


def test_cancelled_while_reranking_raises(blind_provider: LocalProvider) -> None:
    from ghostls.providers.base import GenerationCancelled

    cancel = threading.Event()
    cancel.set()
    with pytest.raises(GenerationCancelled):
        run_completion(request_at(BETWEEN), blind_provider, settings_of({"maxNewTokens": 8}), cancel)
    assert not blind_provider.scheduler.busy


@pytest.mark.embedded
def test_the_code_below_changes_the_embedded_models_choice(embedded_model_dir: Path) -> None:
    """SmolLM2 cannot see the loop below the cursor; greedy, it returns at once and leaves that
    loop dead.  Ranked with the code below, the suggestion sets up what the loop needs."""
    provider = LocalProvider(model=str(embedded_model_dir))
    doc = "def total_price(items):\n█\n    for item in items:\n        total += item.price\n    return total\n"
    greedy = run_completion(request_at(doc), provider, settings_of({"maxNewTokens": 32, "inline": {"rerank": 0}}),
                            threading.Event())
    ranked = run_completion(request_at(doc), provider, settings_of({"maxNewTokens": 32, "inline": {"rerank": 3}}),
                            threading.Event())
    assert greedy.items and ranked.items and ranked.reranked
    assert greedy.items[0].text.strip().startswith("return ")
    chosen = ranked.items[0].text.strip()
    assert not chosen.startswith("return ") and "=" in chosen, chosen
    # The alternatives (shown by ghostls.whyThisSuggestion) come best first, the suggestion first.
    scores = [score for _, score in ranked.alternatives]
    assert len(scores) >= 2 and scores == sorted(scores, reverse=True)
    assert ranked.alternatives[0][0] == ranked.items[0].text
    assert any(text.strip().startswith("return ") for text, _ in ranked.alternatives[1:])
