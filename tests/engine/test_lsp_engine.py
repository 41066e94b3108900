"""Through the real server: engine settings reach the provider, the next keystroke reuses the
cache, and ``ghostls.status`` reports device, dtype, memory, load time and the cache."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from tests.engine.conftest import SOURCE
from tests.support.lsp import execute, inline_params, lsp_session, open_document


async def test_keystroke_reuses_the_cache_and_status_reports_the_engine(tmp_path: Path,
                                                                        tiny_model_dir: Path) -> None:
    text = SOURCE[:1200] + "\n\ndef area(radius):\n    return "
    lines = text.split("\n")
    line, col = len(lines) - 1, len(lines[-1])
    settings = {"model": str(tiny_model_dir), "device": "cpu",
                "engine": {"kvCacheMb": 32, "promptLookup": 4}}
    async with lsp_session(settings, root=tmp_path) as client:
        uri = open_document(client, tmp_path / "geometry.py", text)
        await client.text_document_inline_completion_async(inline_params(uri, line, col))
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(line=line, character=col),
                                  end=types.Position(line=line, character=col)), text="3")]))
        await client.text_document_inline_completion_async(inline_params(uri, line, col + 1))
        status = (await execute(client, "ghostls.status"))["provider"]
    assert status["state"] == "ready" and status["device"] == "cpu" and status["dtype"] == "float32"
    assert status["memory"]["weightsBytes"] > 0 and status["memory"]["kvCacheBytes"] > 0
    assert status["loadSeconds"] > 0 and "weights" in status["loadPhases"]
    engine = status["engine"]
    assert engine["kvCacheMb"] == 32 and engine["promptLookup"] == 4 and engine["attention"] == "sdpa"
    assert engine["prefixCache"]["hits"] >= 1
    last = status["lastRequest"]
    assert 0 < last["reused_tokens"] < last["prompt_tokens"]
