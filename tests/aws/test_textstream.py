"""Stream transforms for remote output: stop strings and chat-model chatter (table tests)."""

from __future__ import annotations

import pytest

from ghostls.providers.aws.models import base_model_id, chat_profile
from ghostls.providers.aws.textstream import clean_chat_output, cut_at_stops


@pytest.mark.parametrize(("chunks", "stops", "expected"), [
    (["abc", "def"], [], "abcdef"),
    (["a + b", "<|endoftext|>junk"], ["<|endoftext|>"], "a + b"),
    (["a + b<|endof", "text|>junk"], ["<|endoftext|>"], "a + b"),  # split across chunks
    (["x = 1\n", "\ny = 2"], ["\n\n"], "x = 1"),
    (["<file_sep>"], ["<file_sep>", "<|endoftext|>"], ""),
    (["a<", "b"], ["<|endoftext|>"], "a<b"),  # a partial match that was not a stop is released
])
def test_cut_at_stops(chunks: list[str], stops: list[str], expected: str) -> None:
    assert "".join(cut_at_stops(iter(chunks), stops)) == expected


@pytest.mark.parametrize(("chunks", "line_prefix", "expected"), [
    (["a + b"], "    return ", "a + b"),
    (["Here is the missing code:\n", "a + b"], "    return ", "a + b"),
    (["Sure! ", "Here's the completion:\nitems.append(x)\n"], "", "items.append(x)\n"),
    (["return a ", "+ b"], "    return ", "a + b"),  # echo of the typed line
    (["x = compute(", "a, b)"], "    x = compute(", "a, b)"),
    (["a{{FILL_", "HERE}} + b"], "", "a{{FILL_HERE}} + b".replace("{{FILL_HERE}}", "")),
    (["Here is the code:\n```python\nfoo()\n```"], "", "Here is the code:\n```python\nfoo()\n```"),
    (["total += item.price\n", "return total"], "", "total += item.price\nreturn total"),
])
def test_clean_chat_output(chunks: list[str], line_prefix: str, expected: str) -> None:
    assert "".join(clean_chat_output(iter(chunks), line_prefix)) == expected


@pytest.mark.parametrize(("model_id", "family", "system", "stops"), [
    ("anthropic.claude-3-5-haiku-20241022-v1:0", "anthropic-claude", True, 8),
    ("us.anthropic.claude-sonnet-4-20250514-v1:0", "anthropic-claude", True, 8),
    ("eu.amazon.nova-pro-v1:0", "amazon-nova", True, 4),
    ("amazon.titan-text-express-v1", "amazon-titan", False, 0),
    ("us.meta.llama3-3-70b-instruct-v1:0", "meta-llama", True, 0),
    ("mistral.mistral-7b-instruct-v0:2", "mistral-instruct", False, 10),
    ("mistral.mistral-large-2407-v1:0", "mistral-large", True, 10),
    ("cohere.command-r-plus-v1:0", "cohere-command-r", True, 4),
    ("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0", "amazon-nova", True, 4),
    ("some.future-model-v1", "generic", True, 4),
])
def test_model_profiles(model_id: str, family: str, system: bool, stops: int) -> None:
    profile = chat_profile(model_id)
    assert (profile.name, profile.system_prompt, profile.max_stop_sequences) == (family, system, stops)


def test_cross_region_prefix_is_removed() -> None:
    assert base_model_id("us.anthropic.claude-3-5-haiku-20241022-v1:0") == "anthropic.claude-3-5-haiku-20241022-v1:0"
    assert base_model_id("apac.amazon.nova-micro-v1:0") == "amazon.nova-micro-v1:0"
