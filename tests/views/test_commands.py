"""The view commands through a real LSP client talking to ``python -m ghostls serve``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from ghostls.documents import UTF8, UTF16, Document
from tests.support.lsp import execute, inline_params, lsp_session, open_document, vscode_capabilities

SOURCE = "# ── 設定 ──\nimport os\n\n\ndef load(path):  # 🐍\n    with open(path) as f:\n        return f.read()\n"


def _range(doc: Document, start: int, end: int) -> dict[str, Any]:
    (l0, c0), (l1, c1) = doc.position_at(start), doc.position_at(end)
    return {"start": {"line": l0, "character": c0}, "end": {"line": l1, "character": c1}}


def _check_round_trip(view: dict[str, Any], doc: Document, start: int, end: int) -> None:
    texts = []
    for g in view["groups"]:
        r = g["range"]
        a = doc.offset_at(r["start"]["line"], r["start"]["character"])
        b = doc.offset_at(r["end"]["line"], r["end"]["character"])
        assert doc.text[a:b] == g["text"]
        texts.append(g["text"])
    assert "".join(texts) == doc.text[start:end]


@pytest.mark.parametrize("encoding", [UTF16, UTF8])
async def test_token_and_attention_views_in_the_negotiated_encoding(tiny_model_dir: Path, tmp_path: Path,
                                                                    encoding: str) -> None:
    settings = {"model": str(tiny_model_dir), "views": {"attentionMaxTokens": 64}}
    caps = vscode_capabilities(position_encodings=[encoding])
    async with lsp_session(settings, root=tmp_path, capabilities=caps) as client:
        uri = open_document(client, tmp_path / "load.py", SOURCE)
        doc = Document(uri, SOURCE, encoding=encoding)
        start = SOURCE.index("def load")
        end = len(SOURCE)

        view = await execute(client, "ghostls.showTokens", {"uri": uri, "range": _range(doc, start, end),
                                                             "compareWith": "gpt2"})
        _check_round_trip(view, doc, start, end)
        _check_round_trip(view["compare"], doc, start, end)
        assert view["html"].startswith("<!DOCTYPE html>") and "http://" not in view["html"]
        assert view["totals"]["contextWindow"] == 2048
        # the whole document when no range is given
        whole = await execute(client, "ghostls.showTokens", {"uri": uri, "html": False})
        _check_round_trip(whole, doc, 0, len(SOURCE))
        assert "html" not in whole

        q0 = SOURCE.index("return")
        att = await execute(client, "ghostls.showAttention", {
            "uri": uri, "range": _range(doc, start, end), "aggregation": "rollout", "topK": 2,
            "query": _range(doc, q0, end), "includeContext": True, "html": False})
        _check_round_trip(att, doc, 0, end)  # context: the whole file above the selection
        queries = [t for t in att["tokens"] if t["query"]]
        assert queries and all(not t["context"] for t in queries)
        assert "".join(t["text"] for t in queries).startswith("return") or "return" in "".join(
            t["text"] for t in queries)
        assert all(len(row["keys"]) == 2 for row in att["topKeys"])
        assert att["memory"]["eagerSharesWeights"] is True
        assert att["options"]["aggregation"] == "rollout"
        line_of = {x["line"] for x in att["lines"]}
        assert doc.position_at(q0)[0] in line_of

        positions = await execute(client, "ghostls.showPositions", {"uri": uri, "html": False})
        assert positions["kind"] == "rotary"
        if encoding == UTF16:
            await _bad_input_gets_clear_errors_and_the_server_keeps_serving(client, uri, tmp_path)


async def _bad_input_gets_clear_errors_and_the_server_keeps_serving(client: Any, uri: str, tmp_path: Path) -> None:
    """Each bad request gets a clear InvalidParams error; the same server keeps serving."""
    long_uri = open_document(client, tmp_path / "long.py", SOURCE * 3)
    cases = [
        ("ghostls.showAttention", {"uri": long_uri}, "at most 64"),
        ("ghostls.showAttention", {"uri": uri, "range": {"start": {"line": 4, "character": 0},
                                                         "end": {"line": 4, "character": 8}},
                                   "aggregation": "median"}, "aggregation"),
        ("ghostls.showAttention", {"uri": uri, "range": {"start": {"line": 4, "character": 0},
                                                         "end": {"line": 4, "character": 8}},
                                   "layers": [9]}, "layer 9 does not exist"),
        ("ghostls.showTokens", {"uri": uri, "compareWith": "bert"}, "compareWith"),
        ("ghostls.showTokens", {"uri": "file:///nowhere.py"}, "not open"),
        ("ghostls.whyThisSuggestion", {"uri": uri}, "No suggestion"),
    ]
    for name, params, message in cases:
        with pytest.raises(Exception, match=message):
            await execute(client, name, params)

    # after a completion that produced nothing (the random tiny model), the view says so
    line = SOURCE.split("\n").index("        return f.read()")
    await client.text_document_inline_completion_async(inline_params(uri, line, 15))
    try:
        why = await execute(client, "ghostls.whyThisSuggestion", {"uri": uri, "html": False})
        assert why["generated"]["tokens"]
    except Exception as exc:
        assert "generated nothing" in str(exc)
    view = await execute(client, "ghostls.showTokens", {"uri": uri, "html": False})
    assert view["totals"]["characters"] == len(SOURCE)


async def test_remote_provider_tokens_use_gpt2_and_say_so(tmp_path: Path) -> None:
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_EC2_METADATA_DISABLED": "true"}
    settings = {"provider": "bedrock", "aws": {"region": "us-east-1", "modelId": "test-model",
                                               "endpointUrl": "http://127.0.0.1:9"}}
    async with lsp_session(settings, root=tmp_path, env=env) as client:
        uri = open_document(client, tmp_path / "load.py", SOURCE)
        view = await execute(client, "ghostls.showTokens", {"uri": uri, "html": False})
        assert view["tokenizer"]["name"].startswith("gpt2") and "approximation" in view["note"]
        assert view["tokenizer"]["vocabSize"] == 50257
        with pytest.raises(Exception, match="needs the local provider"):
            await execute(client, "ghostls.showAttention", {"uri": uri})


@pytest.mark.embedded
async def test_why_this_suggestion_after_a_real_completion(embedded_model_dir: Path, tmp_path: Path) -> None:
    source = ("import math\n\n\ndef circle_area(radius):\n    \"\"\"Area of a circle.\"\"\"\n"
              "    return math.pi * \n\n\ndef main():\n    print(circle_area(2))\n")
    async with lsp_session({"maxNewTokens": 12}, root=tmp_path) as client:
        uri = open_document(client, tmp_path / "area.py", source)
        result = await client.text_document_inline_completion_async(inline_params(uri, 5, 20))
        items = result.items if isinstance(result, types.InlineCompletionList) else (result or [])
        assert items, "the embedded model suggested nothing"
        why = await execute(client, "ghostls.whyThisSuggestion", {"uri": uri})
        tokens = why["generated"]["tokens"]
        assert tokens and all(0 < t["probability"] <= 1 for t in tokens)
        kinds = [s["kind"] for s in why["segments"]]
        assert "prefix" in kinds
        prefix = why["segments"][kinds.index("prefix")]
        assert "circle_area" in why["prompt"]["text"][prefix["start"]:prefix["end"]]
        assert prefix["mass"] > 0
        total = sum(s["mass"] for s in why["segments"]) + why["unsegmentedMass"] + why["generatedSelfMass"]
        assert total == pytest.approx(1.0, abs=1e-3)
        assert why["memory"]["eagerTwinExtraBytes"] < why["memory"]["weightsBytes"] // 10
