"""Golden prompt layouts for every model profile, a real tokenizer round trip of each profile's
special tokens, and profile detection from real tokenizers' vocabularies."""

from __future__ import annotations

import pytest

from ghostls.providers.base import PromptParts, Snippet
from ghostls.providers.profiles import PROFILES, detect_profile
from tests.support.tiny_model import build_tokenizer

PARTS = PromptParts(
    prefix="def add(a, b):\n    return ", suffix="\n\nprint(add(1, 2))\n", path="pkg/calc.py", language="python",
    snippets=(Snippet("def double(x):\n    return x * 2\n", "definition", "pkg/util.py", 0, 1, 0.5),),
    repo_name="demo")

CTX = "def double(x):\n    return x * 2\n"
BODY = "def add(a, b):\n    return "
SUFFIX = "\n\nprint(add(1, 2))\n"
COMMENTED = "# pkg/util.py:1\n" + CTX + "\n"

GOLDEN = {
    "qwen2.5-coder": ("<|repo_name|>demo\n<|file_sep|>pkg/util.py\n" + CTX + "<|file_sep|>pkg/calc.py\n"
                      "<|fim_prefix|>" + BODY + "<|fim_suffix|>" + SUFFIX + "<|fim_middle|>"),
    "codegemma": ("<|file_separator|>pkg/util.py\n" + CTX + "<|file_separator|>pkg/calc.py\n"
                  "<|fim_prefix|>" + BODY + "<|fim_suffix|>" + SUFFIX + "<|fim_middle|>"),
    "starcoder2": ("<repo_name>demo<file_sep>pkg/util.py\n" + CTX + "<file_sep>pkg/calc.py\n"
                   "<fim_prefix>" + BODY + "<fim_suffix>" + SUFFIX + "<fim_middle>"),
    "starcoder": "<fim_prefix>" + COMMENTED + BODY + "<fim_suffix>" + SUFFIX + "<fim_middle>",
    "santacoder": "<fim-prefix>" + COMMENTED + BODY + "<fim-suffix>" + SUFFIX + "<fim-middle>",
    "deepseek-coder": "<｜fim▁begin｜>" + COMMENTED + BODY + "<｜fim▁hole｜>" + SUFFIX + "<｜fim▁end｜>",
    "codellama": "<PRE> " + COMMENTED + BODY + " <SUF>" + SUFFIX + " <MID>",
    "codestral": "[SUFFIX]" + SUFFIX + "[PREFIX]" + COMMENTED + BODY,
    "prefix-only-repo": "<repo_name>demo\n<file_sep>pkg/util.py\n" + CTX + "<file_sep>pkg/calc.py\n" + BODY,
    "prefix-only": COMMENTED + BODY,
}


def test_every_profile_has_a_golden_layout():
    assert set(GOLDEN) == set(PROFILES)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_layout_matches_golden(name):
    text, segments = PROFILES[name].layout(PARTS)
    assert text == GOLDEN[name]
    # Segments tile the text exactly and say where each piece came from.
    assert "".join(text[s.start:s.end] for s in segments) == text
    assert [s.start for s in segments[1:]] == [s.end for s in segments[:-1]]
    kinds = {s.kind for s in segments}
    assert {"prefix", "snippet"} <= kinds
    snippet = next(s for s in segments if s.kind == "snippet")
    assert (snippet.path, snippet.source, snippet.score) == ("pkg/util.py", "definition", 0.5)
    prefix = next(s for s in segments if s.kind == "prefix")
    assert text[prefix.start:prefix.end] == BODY
    if PROFILES[name].supports_fim:
        suffix = next(s for s in segments if s.kind == "suffix")
        assert text[suffix.start:suffix.end] == SUFFIX


def test_without_snippets_no_context_markers_are_emitted():
    parts = PromptParts(prefix=BODY, suffix=SUFFIX, path="pkg/calc.py", language="python", repo_name="demo")
    assert PROFILES["starcoder2"].layout(parts)[0] == "<fim_prefix>" + BODY + "<fim_suffix>" + SUFFIX + "<fim_middle>"
    assert PROFILES["prefix-only-repo"].layout(parts)[0] == BODY


def test_context_comment_follows_the_language():
    parts = PromptParts(prefix="x", language="go", snippets=(Snippet("func f() {}", "similar", "a.go", 4, 4),))
    assert PROFILES["prefix-only"].layout(parts)[0] == "// a.go:5\nfunc f() {}\n\nx"


def _markers(name: str) -> list[str]:
    p = PROFILES[name]
    return [m.strip() for m in (p.fim_prefix, p.fim_suffix, p.fim_middle, p.repo_name, p.file_sep) if m and m.strip()]


@pytest.fixture(scope="module")
def tokenizers():
    cache: dict[tuple[str, ...], object] = {}

    def get(specials: list[str]):
        key = tuple(specials)
        if key not in cache:
            cache[key] = build_tokenizer(vocab_size=600, special_tokens=["<|endoftext|>", *specials])
        return cache[key]

    return get


@pytest.mark.parametrize("name", sorted(n for n in GOLDEN if _markers(n)))
def test_special_tokens_round_trip_through_a_real_tokenizer(name, tokenizers):
    markers = _markers(name)
    tok = tokenizers(markers)
    text = GOLDEN[name]
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert tok.decode(ids) == text
    for marker in markers:
        marker_id = tok.convert_tokens_to_ids(marker)
        # Each marker in the text is exactly one token: never split, never merged with code.
        assert ids.count(marker_id) == text.count(marker), marker
    # And no marker leaks into the tokens of the code itself.
    code_ids = tok(BODY + SUFFIX + CTX, add_special_tokens=False)["input_ids"]
    assert not set(code_ids) & {tok.convert_tokens_to_ids(m) for m in markers}


# Special tokens of real tokenizers (from their tokenizer_config.json files), enough to tell them apart.
REAL_VOCABULARIES = {
    "qwen2.5-coder": ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|fim_prefix|>", "<|fim_middle|>",
                      "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"],
    "codegemma": ["<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>", "<|fim_prefix|>", "<|fim_middle|>",
                  "<|fim_suffix|>", "<|file_separator|>"],
    "starcoder2": ["<|endoftext|>", "<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<fim_pad>", "<repo_name>",
                   "<file_sep>", "<issue_start>", "<jupyter_start>", "<gh_stars>"],
    "starcoder": ["<|endoftext|>", "<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<fim_pad>", "<filename>",
                  "<gh_stars>", "<issue_start>", "<reponame>"],
    "santacoder": ["<|endoftext|>", "<fim-prefix>", "<fim-middle>", "<fim-suffix>", "<fim-pad>"],
    "deepseek-coder": ["<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜fim▁hole｜>", "<｜fim▁begin｜>",
                       "<｜fim▁end｜>", "<|EOT|>"],
    "codellama": ["<s>", "</s>", "<unk>", "▁<PRE>", "▁<MID>", "▁<SUF>", "▁<EOT>"],
    "codestral": ["<s>", "</s>", "[INST]", "[/INST]", "[PREFIX]", "[MIDDLE]", "[SUFFIX]"],
    # SmolLM2: StarCoder-style markers but no FIM tokens.
    "prefix-only-repo": ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<repo_name>", "<reponame>", "<file_sep>",
                         "<filename>", "<gh_stars>"],
    "prefix-only": ["<|endoftext|>"],
}


@pytest.mark.parametrize("name", sorted(REAL_VOCABULARIES))
def test_detects_the_family_from_its_special_tokens(name):
    assert detect_profile(REAL_VOCABULARIES[name] + ["def", "Ġreturn"]).name == name


def test_detects_from_a_trained_tokenizers_vocabulary(tokenizers):
    tok = tokenizers(["<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<file_sep>", "<repo_name>"])
    assert detect_profile(tok.get_vocab()).name == "starcoder2"
    assert detect_profile(tokenizers([]).get_vocab()).name == "prefix-only"


def test_a_requested_profile_wins_and_an_unknown_one_is_a_clear_error():
    assert detect_profile(REAL_VOCABULARIES["starcoder2"], "codellama").name == "codellama"
    with pytest.raises(KeyError, match="unknown model profile 'gpt-9'.*known: "):
        detect_profile([], "gpt-9")
