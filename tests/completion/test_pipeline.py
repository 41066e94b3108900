"""The pipeline in-process with real (tiny) models: skip rules, shapes, caches, candidates,
prompt budgets and token healing."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from ghostls.completion.cache import CompletionCache, PromptLRU
from ghostls.completion.pipeline import run_completion, skip_reason
from ghostls.completion.prompt import take_head_lines, take_tail_lines
from ghostls.completion.request import Completion
from ghostls.completion.shape import decide_shape
from ghostls.providers.local.provider import LocalProvider
from ghostls.settings import parse_settings
from tests.completion.table import request_at


def settings_of(raw: dict):
    settings, problems = parse_settings(raw)
    assert not problems
    return settings


@pytest.fixture(scope="module")
def tiny_provider(tiny_model_dir: Path) -> LocalProvider:
    provider = LocalProvider(model=str(tiny_model_dir))
    provider.load()
    return provider


@pytest.mark.parametrize("doc,language,invoked,settings,skipped", [
    ("x = fo█o\n", "python", False, {}, "cursor is inside an identifier"),
    ("x = fo█o\n", "python", True, {}, ""),
    ("x = f(█a, b)\n", "python", False, {}, "code follows the cursor on its line"),
    ("x = f(█)\n", "python", False, {}, ""),  # only closers after the cursor
    ("█    return x\n", "python", False, {}, ""),  # new lines above code
    ("# Title█\n", "markdown", False, {"inline": {"disabledLanguages": ["markdown"]}},
     "disabled for language 'markdown'"),
    ("x = █\n", "python", True, {"inline": {"enable": False}}, "inline completion is disabled (ghostls.inline.enable)"),
])
def test_skip_rules(doc: str, language: str, invoked: bool, settings: dict, skipped: str) -> None:
    assert skip_reason(request_at(doc, language, invoked), settings_of(settings)) == skipped


@pytest.mark.parametrize("doc,language,mode,floor", [
    ("x = compute(█\n", "python", "line", -1),
    ("def f(a):█\n", "python", "block", 0),
    ("def f(a):\n    █\n", "python", "block", 0),
    ("class A:\n    def f(self):\n        x = 1\n        █\n", "python", "block", 4),
    ("function f() {█}\n", "javascript", "block", 0),
    ("func main() {\n\tif err != nil {\n\t\t█\n\t}\n\treturn\n}\n", "go", "block", 4),
    ("fn main() {\n    let v = vec![1, 2█];\n}\n", "rust", "line", -1),
    ("█\n", "python", "block", -1),  # top level
])
def test_shape_table(doc: str, language: str, mode: str, floor: int) -> None:
    shape = decide_shape(request_at(doc, language), 8)
    assert (shape.mode, shape.floor if mode == "block" else -1) == (mode, floor)


def test_candidates_on_invoked_only_and_distinct(tiny_provider: LocalProvider) -> None:
    settings = settings_of({"maxNewTokens": 6, "inline": {"candidates": 3}})
    invoked = run_completion(request_at("# note: █\n", "python", True), tiny_provider, settings, threading.Event())
    automatic = run_completion(request_at("# note: █\n", "python", False), tiny_provider, settings,
                               threading.Event())
    texts = [i.text for i in invoked.items]
    assert len(texts) == 3 and len(set(texts)) == 3
    assert invoked.model_calls >= 3
    assert len(automatic.items) <= 1 and automatic.model_calls == 1


def test_prompt_lru_answers_a_repeated_automatic_request(tiny_provider: LocalProvider) -> None:
    settings = settings_of({"maxNewTokens": 6})
    cache = CompletionCache()
    request = request_at("# note: █\n", "python", False)
    first = run_completion(request, tiny_provider, settings, threading.Event(), cache=cache)
    cache.typed.forget(request.uri)  # not the typed-ahead path: the same request again
    again = run_completion(request, tiny_provider, settings, threading.Event(), cache=cache)
    assert first.model_calls == 1 and first.cached == ""
    assert again.model_calls == 0 and again.cached == "prompt"
    assert [i.text for i in again.items] == [i.text for i in first.items]
    assert cache.model_calls == 1


def test_prompt_lru_evicts_least_recently_used() -> None:
    lru = PromptLRU(capacity=2)
    lru.put(("a",), ("1",))
    lru.put(("b",), ("2",))
    assert lru.get(("a",)) == ("1",)  # a is now the most recent
    lru.put(("c",), ("3",))
    assert lru.get(("b",)) is None and lru.get(("a",)) == ("1",) and len(lru) == 2


def test_typed_ahead_continues_and_keeps_the_range_width() -> None:
    cache = CompletionCache()
    shown_at = request_at("y = max(█)\n", "python", False)
    cache.typed.remember(shown_at, [Completion("a, b) + 1", shown_at.offset, shown_at.offset + 1)])
    typed = request_at("y = max(a, █)\n", "python", False)
    assert cache.typed.lookup(typed) == [Completion("b) + 1", typed.offset, typed.offset + 1)]
    assert cache.typed.lookup(request_at("y = max(z█)\n", "python", False)) is None  # typed something else
    assert cache.typed.lookup(request_at("y = max(a, █)\nmore\n", "python", False)) is None  # suffix changed


def test_budget_takes_whole_lines_within_budget(tiny_provider: LocalProvider) -> None:
    counter = tiny_provider.counter
    text = "".join(f"value_{i} = compute({i}, 'text')\n" for i in range(400)) + "last = "
    for budget in (5, 40, 300, 5000):
        tail = take_tail_lines(text, budget, counter)
        assert text.endswith(tail) and tail.endswith("last = ")
        assert counter.count(tail) <= budget or "\n" not in tail  # only the cursor line may overrun
        longer = text[: len(text) - len(tail)].rsplit("\n", 2)
        if len(longer) == 3 and counter.count(tail) < budget:  # one more whole line would not fit
            assert counter.count(longer[1] + "\n" + tail) > budget
        head = take_head_lines(text, budget, counter)
        assert text.startswith(head) and counter.count(head) <= budget


@pytest.mark.embedded
def test_token_healing_through_the_pipeline(embedded_model_dir: Path) -> None:
    """The embedded model starts a body badly after a bare "\\n" unless the prompt is healed
    (the tokenizer would merge the newline with the indentation)."""
    from ghostls.providers.local.decoding import heal_prompt

    provider = LocalProvider(model=str(embedded_model_dir))
    request = request_at('def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n█', "python", True)
    result = run_completion(request, provider, settings_of({"maxNewTokens": 24}), threading.Event())
    ids = provider.counter.encode(result.prompt.text)
    _, removed = heal_prompt(ids, provider.tokenizer, provider._special_ids)
    assert removed.endswith("\n")  # healing was applied: the last token is re-generated
    assert result.items, result.skipped
    first = result.items[0].text.split("\n")[0]
    assert first.startswith("    ") and first.strip()  # an indented body line, not a stray token


@pytest.mark.parametrize("doc,profile,max_lines", [
    ("def f(xs):\n    total = 0\n    █\n    return total\n", "prefix-only", 1),  # code below, blind model
    ("def f(xs):\n    total = 0\n    █\n    return total\n", "starcoder2", 8),  # FIM model sees it
    ("def f(xs):\n    total = 0\n    █\n", "prefix-only", 8),  # nothing below in the definition
    ("def f(xs):\n    for x in xs:\n        █\n    return xs\n", "prefix-only", 8),  # empty body
])
def test_prefix_only_models_write_one_line_between_existing_lines(doc: str, profile: str, max_lines: int) -> None:
    from types import SimpleNamespace

    from ghostls.completion.pipeline import blind_shape
    from ghostls.providers.profiles import PROFILES

    request = request_at(doc)
    holder = SimpleNamespace(profile=PROFILES[profile])  # only the profile is consulted
    assert blind_shape(decide_shape(request, 8), request, holder).max_lines == max_lines
