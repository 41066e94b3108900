"""The language server end to end, through a real LSP client over stdio (pytest-lsp)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from lsprotocol import types

from ghostls.completion.pipeline import run_completion
from ghostls.completion.request import CompletionRequest
from ghostls.providers.local import LocalProvider
from ghostls.settings import parse_settings
from tests.support.lsp import execute, inline_params, lsp_session, open_document, vscode_capabilities

SOURCE = '''import math


def area(radius: float) -> float:
    """Area of a circle."""
    return math.pi * radius ** 2


def circumference(radius: float) -> float:
''' + "    \n"


def expected_completion(model_dir: Path, text: str, line: int, character: int, settings: dict) -> str:
    """What the pipeline produces in-process for the same text and settings (greedy, deterministic)."""
    parsed, problems = parse_settings(settings)
    assert not problems
    provider = LocalProvider(model=str(model_dir))
    lines = text.split("\n")
    offset = sum(len(x) + 1 for x in lines[:line]) + character
    request = CompletionRequest(text=text, offset=offset, path="/x.py", language="python", invoked=True)
    result = run_completion(request, provider, parsed, threading.Event())
    return result.items[0].text if result.items else ""


async def test_initialize_advertises_inline_completion_with_options(tmp_path: Path, tiny_model_dir: Path) -> None:
    async with lsp_session({"model": str(tiny_model_dir)}, root=tmp_path) as client:
        caps = client.initialize_result.capabilities
        assert caps.inline_completion_provider is not None and caps.inline_completion_provider is not False
        assert caps.position_encoding == types.PositionEncodingKind.Utf16
        sync = caps.text_document_sync
        assert getattr(sync, "change", sync) == types.TextDocumentSyncKind.Incremental
        assert "ghostls.status" in caps.execute_command_provider.commands


async def test_open_edit_and_complete_matches_the_pipeline(tmp_path: Path, tiny_model_dir: Path) -> None:
    settings = {"model": str(tiny_model_dir), "maxNewTokens": 24}
    path = tmp_path / "circle.py"
    async with lsp_session(settings, root=tmp_path) as client:
        uri = open_document(client, path, SOURCE.replace("radius ** 2", "r ** 2"))
        # Two incremental edits: rename r back to radius (inside line 6), then type "    ret".
        line6 = SOURCE.split("\n")[5]
        col = line6.index("radius ** 2")
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(line=5, character=col),
                                  end=types.Position(line=5, character=col + 1)), text="radius")]))
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(line=9, character=4),
                                  end=types.Position(line=9, character=4)), text="ret")]))
        result = await client.text_document_inline_completion_async(inline_params(uri, 9, 7))
    edited = SOURCE.replace("\n    \n", "\n    ret\n")
    expected = expected_completion(tiny_model_dir, edited, 9, 7, settings)
    texts = [item.insert_text for item in result.items]
    assert texts == ([expected] if expected else [])
    for item in result.items:
        assert item.range.start == types.Position(line=9, character=7)


async def test_status_reports_provider_and_settings(tmp_path: Path, tiny_model_dir: Path) -> None:
    async with lsp_session({"model": str(tiny_model_dir), "device": "cpu"}, root=tmp_path) as client:
        uri = open_document(client, tmp_path / "a.py", "x = 1\n")
        await client.text_document_inline_completion_async(inline_params(uri, 1, 0))  # loads the model
        status = await execute(client, "ghostls.status")
    assert status["provider"]["state"] == "ready"
    assert status["provider"]["device"] == "cpu"
    assert status["settings"]["model"] == str(tiny_model_dir)
    assert status["positionEncoding"] == "utf-16"


async def _wait_for(predicate, timeout: float = 30.0) -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.02)
    await asyncio.wait_for(poll(), timeout)


async def test_cancel_request_mid_generation_stops_the_generation(tmp_path: Path, runaway_model_dir: Path) -> None:
    settings = {"model": str(runaway_model_dir), "maxNewTokens": 1000, "inline": {"maxLines": 200},
                "engine": {"promptLookup": 0}}
    async with lsp_session(settings, root=tmp_path) as client:
        uri = open_document(client, tmp_path / "r.py", "value = ")
        await client.text_document_inline_completion_async(inline_params(uri, 0, 8))  # load + warm up
        loop = asyncio.get_running_loop()
        started = loop.time()
        full = await client.text_document_inline_completion_async(inline_params(uri, 0, 8))
        full_seconds = loop.time() - started
        assert len(full.items[0].insert_text) >= 990  # left alone, the model runs to max tokens

        task = asyncio.ensure_future(client.text_document_inline_completion_async(inline_params(uri, 0, 8)))

        async def generating() -> None:
            while not (await execute(client, "ghostls.status"))["provider"]["engine"]["busy"]:
                await asyncio.sleep(0.01)
        await asyncio.wait_for(generating(), 60)
        request_id = max(client.protocol._request_futures)  # the one pending request: the completion
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=request_id))
        with pytest.raises(Exception, match="(?i)cancel"):
            await task
        # The model is serialized: a short request right after the cancel only returns quickly if the
        # cancelled generation really stopped (instead of running its remaining ~1000 tokens).
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={**settings, "maxNewTokens": 3}))
        started = loop.time()
        short = await client.text_document_inline_completion_async(inline_params(uri, 0, 8))
        short_seconds = loop.time() - started
    assert set(short.items[0].insert_text) == {"!"} and len(short.items[0].insert_text) <= 3
    assert short_seconds < full_seconds / 3, (short_seconds, full_seconds)


async def test_newer_request_supersedes_older_one(tmp_path: Path, runaway_model_dir: Path) -> None:
    # No prompt-lookup drafting: one token per forward pass keeps the first request running.
    settings = {"model": str(runaway_model_dir), "maxNewTokens": 2000, "inline": {"maxLines": 200},
                "engine": {"promptLookup": 0}}
    async with lsp_session(settings, root=tmp_path) as client:
        uri = open_document(client, tmp_path / "r.py", "value = ")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={**settings, "maxNewTokens": 2}))
        await client.text_document_inline_completion_async(inline_params(uri, 0, 8))  # load + warm up
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=settings))
        first = asyncio.ensure_future(client.text_document_inline_completion_async(inline_params(uri, 0, 8)))

        async def generating() -> None:  # the first request holds the model (2,000 tokens to go)
            while not (await execute(client, "ghostls.status"))["provider"]["engine"]["busy"]:
                await asyncio.sleep(0.01)
        await asyncio.wait_for(generating(), 60)
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={**settings, "maxNewTokens": 4}))
        second = await client.text_document_inline_completion_async(inline_params(uri, 0, 8))
        older = await first
    assert len(older.items) == 0
    assert second.items and set(second.items[0].insert_text) == {"!"} and len(second.items[0].insert_text) <= 4


async def test_settings_change_at_runtime_without_restart(tmp_path: Path, tiny_model_dir: Path) -> None:
    async with lsp_session({"model": str(tiny_model_dir)}, root=tmp_path) as client:
        uri = open_document(client, tmp_path / "a.py", "def f(x):\n    return x\n")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"model": str(tiny_model_dir), "inline": {"enable": False}}))
        disabled = await client.text_document_inline_completion_async(inline_params(uri, 1, 4))
        status = await execute(client, "ghostls.status")
        assert status["settings"]["inline"]["enable"] is False and len(disabled.items) == 0
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"model": str(tiny_model_dir), "maxNewTokens": 7}))
        status = await execute(client, "ghostls.status")
    assert status["settings"]["inline"]["enable"] is True and status["settings"]["maxNewTokens"] == 7


async def test_configuration_is_pulled_when_the_client_supports_it(tmp_path: Path, tiny_model_dir: Path) -> None:
    async with lsp_session({}, root=tmp_path,
                           configuration={"model": str(tiny_model_dir), "maxNewTokens": 9}) as client:
        for _ in range(100):
            status = await execute(client, "ghostls.status")
            if status["settings"]["maxNewTokens"] == 9:
                break
            await asyncio.sleep(0.05)
    assert status["settings"]["maxNewTokens"] == 9 and status["settings"]["model"] == str(tiny_model_dir)


async def test_bad_input_never_stops_the_server(tmp_path: Path, tiny_model_dir: Path) -> None:
    async with lsp_session({"model": str(tiny_model_dir), "maxNewTokens": "lots", "device": "tpu"},
                           root=tmp_path) as client:
        # A request before any document is open, and for an unknown URI.
        before = await client.text_document_inline_completion_async(
            inline_params((tmp_path / "nope.py").as_uri(), 0, 0))
        uri = open_document(client, tmp_path / "a.py", "print('hi')\n")
        past_end = await client.text_document_inline_completion_async(inline_params(uri, 50, 3))
        past_line = await client.text_document_inline_completion_async(inline_params(uri, 0, 99))
        with pytest.raises(Exception, match="not defined"):
            await execute(client, "ghostls.noSuchCommand")
        with pytest.raises(Exception, match="one object argument"):
            await client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="ghostls.status", arguments=["oops"]))
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"model": str(tiny_model_dir), "inline": "off"}))
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"model": str(tiny_model_dir), "inline": "off"}))  # same problem: told once
        status = await execute(client, "ghostls.status")
        good = await client.text_document_inline_completion_async(inline_params(uri, 1, 0))
        messages = [m.message for m in client.messages]
    assert len(before.items) == 0 and len(past_end.items) == 0 and len(past_line.items) == 0
    assert status["settings"]["maxNewTokens"] == 64 and status["settings"]["device"] == "auto"
    assert sum("'maxNewTokens' must be a whole number" in m for m in messages) == 1
    assert sum("'inline' must be an object" in m for m in messages) == 1
    assert isinstance(good, types.InlineCompletionList)


async def test_missing_model_is_reported_once_and_the_server_keeps_serving(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    async with lsp_session({"model": str(missing) + "/"}, root=tmp_path) as client:
        uri = open_document(client, tmp_path / "a.py", "x = \n")
        for _ in range(3):
            result = await client.text_document_inline_completion_async(inline_params(uri, 0, 4))
            assert len(result.items) == 0
        status = await execute(client, "ghostls.status")
        messages = [m.message for m in client.messages if "ghostls.model" in m.message]
    assert status["provider"]["state"] == "error" and "ghostls.model" in status["provider"]["error"]
    assert len(messages) == 1


@pytest.mark.parametrize("offered, expected", [(None, "utf-16"), (["utf-16", "utf-8"], "utf-8"),
                                               (["utf-32", "utf-16"], "utf-16")])
async def test_position_encoding_negotiation_and_ranges(tmp_path: Path, tiny_model_dir: Path,
                                                        offered: list[str] | None, expected: str) -> None:
    text = "s = '😀世界' + "
    units = {"utf-16": len(text.encode("utf-16-le")) // 2, "utf-8": len(text.encode())}[expected]
    async with lsp_session({"model": str(tiny_model_dir), "maxNewTokens": 8}, root=tmp_path,
                           capabilities=vscode_capabilities(offered)) as client:
        uri = open_document(client, tmp_path / "u.py", text + "\n")
        result = await client.text_document_inline_completion_async(inline_params(uri, 0, units))
        status = await execute(client, "ghostls.status")
    assert status["positionEncoding"] == expected
    for item in result.items:
        assert item.range.start == types.Position(line=0, character=units)
