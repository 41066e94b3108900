"""Scheduling through the real server and a real LSP client: storms, typed-ahead, replay."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from lsprotocol import types

from ghostls.cli.replay import keystrokes, record
from tests.support.lsp import execute, inline_params, lsp_session, open_document


async def _idle(client, polls: int = 500) -> dict:
    """Round-trips to the server until no generation runs (each poll is a request, not a sleep)."""
    stats: dict = {}
    for _ in range(polls):
        stats = await execute(client, "ghostls.completionStats")
        if stats["activeGenerations"] == 0:
            return stats
    raise AssertionError(f"generations still running: {stats}")


async def test_cancellation_storm_leaves_nothing_running_and_answers_only_the_newest(
        tmp_path: Path, runaway_model_dir: Path) -> None:
    # The runaway model never stops on its own: each generation only ends when cancelled or at
    # maxNewTokens, so a leaked generation would show up as a running one.
    settings = {"model": str(runaway_model_dir), "maxNewTokens": 300, "inline": {"maxLines": 1}}
    async with lsp_session(settings, root=tmp_path) as client:
        uri = open_document(client, tmp_path / "storm.py", "# note: ")
        await client.text_document_inline_completion_async(inline_params(uri, 0, 8))  # load the model
        await execute(client, "ghostls.completionStats", {"reset": True})
        futures = []
        version, column = 1, 8
        for _ in range(300):  # 300 keystrokes, each followed by an explicit request, no waiting
            version += 1
            _type(client, uri, version, 0, column, "x")
            column += 1
            futures.append(_send_now(client, inline_params(uri, 0, column)))
        results = await asyncio.gather(*futures)
        stats = await _idle(client)
    older, newest = results[:-1], results[-1]
    assert all(len(r.items) == 0 for r in older)
    assert newest.items and set(newest.items[0].insert_text) == {"!"}
    assert stats["answered"] == 1 and stats["lastAnswer"]["version"] == version
    assert stats["requests"] == 300
    assert stats["activeGenerations"] == 0


def _send_now(client, params: types.InlineCompletionParams) -> asyncio.Future:
    """Send the request at once (pytest-lsp's *_async coroutines only send when awaited)."""
    return asyncio.wrap_future(client.protocol.send_request(types.TEXT_DOCUMENT_INLINE_COMPLETION, params))


def _type(client, uri: str, version: int, line: int, column: int, text: str) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=line, character=column),
                              end=types.Position(line=line, character=column)), text=text)]))


async def test_typed_ahead_and_stale_versions(tmp_path: Path, runaway_model_dir: Path) -> None:
    settings = {"model": str(runaway_model_dir), "maxNewTokens": 12, "inline": {"debounceMs": 0}}
    async with lsp_session(settings, root=tmp_path) as client:
        uri = open_document(client, tmp_path / "t.py", "# note: ")
        first = await client.text_document_inline_completion_async(inline_params(uri, 0, 8, invoked=False))
        shown = first.items[0].insert_text
        # Typing the first characters of the suggestion: the rest comes from the cache.
        await execute(client, "ghostls.completionStats", {"reset": True})
        _type(client, uri, 2, 0, 8, shown[:2])
        rest = await client.text_document_inline_completion_async(inline_params(uri, 0, 10, invoked=False))
        typed_stats = await execute(client, "ghostls.completionStats", {"reset": True})
        # A request for version 3 that arrives after version 4 was made is stale: nothing.
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={**settings, "inline": {"debounceMs": 400}}))
        _type(client, uri, 3, 0, 10, "#")
        pending = _send_now(client, inline_params(uri, 0, 11, invoked=False))
        _type(client, uri, 4, 0, 11, "#")
        stale = await pending
        stale_stats = await execute(client, "ghostls.completionStats")
    assert [i.insert_text for i in rest.items] == [shown[2:]]
    assert rest.items[0].range.start == types.Position(line=0, character=10)
    assert typed_stats["typedHits"] == 1 and typed_stats["modelCalls"] == 0
    assert len(stale.items) == 0
    assert stale_stats["stale"] == 1 and stale_stats["modelCalls"] == 0


def test_record_types_a_file_with_auto_indent() -> None:
    text = "def f():\n    return 1\n"
    assert list(keystrokes(text)) == list("def f():") + ["\n    "] + list("return 1") + ["\n"]
    events = record(text, "f.py", cps=15, jitter=0.5, seed=1)
    changes = [e for e in events if e["type"] == "change"]
    assert "".join(e["text"] for e in changes) == text
    assert events[0] == {"type": "open", "path": "f.py", "languageId": "python", "text": ""}
    mean = changes[-1]["t"] / len(changes)
    assert 1 / 15 * 0.6 < mean < 1 / 15 * 1.4
    # After "\n    " the cursor sits on line 1 at column 4.
    enter = next(i for i, e in enumerate(events) if e.get("text") == "\n    ")
    assert (events[enter + 1]["line"], events[enter + 1]["character"]) == (1, 4)


def test_replay_cli_on_a_short_trace(tmp_path: Path, tiny_model_dir: Path) -> None:
    source = tmp_path / "short.py"
    source.write_text("def add(a, b):\n    return a + b\n", encoding="utf-8")
    trace = tmp_path / "short.trace"
    subprocess.run([sys.executable, "-m", "ghostls", "replay", "--record", str(source), "--out", str(trace),
                    "--cps", "60", "--seed", "3"], check=True, timeout=60)
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    settings = json.dumps({"model": str(tiny_model_dir), "maxNewTokens": 8, "inline": {"debounceMs": 40}})
    out = subprocess.run([sys.executable, "-m", "ghostls", "replay", str(trace), "--json", "--settings", settings],
                         capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout)
    summary = report["summary"]
    keys = sum(e["type"] == "change" for e in events)
    assert summary["keystrokes"] == keys == len(list(keystrokes(source.read_text())))
    assert summary["requests"] == keys and len(report["answers"]) == keys
    # Every request was answered or cancelled by the client (VS Code style), none lost; the
    # debounce keeps model calls below one per keystroke.
    assert all(a["cancelled"] or isinstance(a["items"], list) for a in report["answers"])
    assert not report["answers"][-1]["cancelled"]
    assert 0 < summary["modelCalls"] < keys
    assert summary["superseded"] + summary["generations"] + summary["typedHits"] + summary["stale"] >= 1

