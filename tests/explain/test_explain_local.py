"""The same commands on the local engine with the tiny random-weight model (mechanics only:
its text is noise) and, marked ``embedded``, on the real SmolLM2 instruct model."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types

from ghostls.completion.syntax import count_errors
from ghostls.indexing.languages import parse, spec_named
from tests.explain.conftest import DESCRIBE, REPORT, explain_session, lsp_range, make_workspace, open_report
from tests.explain.test_actions_bedrock import apply, code_actions, read_code_actions_like_vscode
from tests.support.lsp import execute


def local_settings(model: Path, tmp_path: Path) -> dict:
    return {"model": str(model), "index": {"cacheDir": str(tmp_path / "index-cache")}}


async def test_tiny_model_streams_cancels_and_resolves(tiny_model_dir: Path, tmp_path: Path) -> None:
    path = make_workspace(tmp_path / "ws")
    async with explain_session(local_settings(tiny_model_dir, tmp_path), tmp_path / "ws") as (client, streams):
        read_code_actions_like_vscode(client)
        uri = open_report(client, path)
        result = await execute(client, "ghostls.explain", {"uri": uri, "range": lsp_range(DESCRIBE),
                                                           "streamId": "t1", "maxNewTokens": 24})
        assert result["provider"] == "local" and result["promptTokens"] > 0 and result["markdown"]
        assert ("definition", "polygon_area") in {(c["kind"], c["name"]) for c in result["context"]}
        events = streams.of("t1")
        assert events[-1]["done"] and events[-1]["text"] == result["markdown"]
        assert any(not e["done"] for e in events)

        # Cancel a long generation once its first words arrived; the next request is served.
        params = types.ExecuteCommandParams(command="ghostls.explain", arguments=[{
            "uri": uri, "range": lsp_range(DESCRIBE), "streamId": "long", "maxNewTokens": 1400}])
        pending = asyncio.wrap_future(client.protocol.send_request(
            types.WORKSPACE_EXECUTE_COMMAND, params, msg_id="local-cancel"))
        await asyncio.wait_for(streams.waiter("long").wait(), 60)
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="local-cancel"))
        with pytest.raises(Exception, match="(?i)cancel"):
            await asyncio.wait_for(pending, 30)
        assert not any(e["done"] for e in streams.of("long"))
        again = await execute(client, "ghostls.explain", {"uri": uri, "range": lsp_range(DESCRIBE), "maxNewTokens": 4})
        assert again["provider"] == "local"

        # An edit from random weights: either a checked edit that parses, or a clear refusal.
        docstring = (await code_actions(client, uri))["refactor.rewrite.ghostls.docstring"]
        try:
            resolved = await client.code_action_resolve_async(docstring)
        except Exception as exc:
            assert any(s in str(exc) for s in ("does not parse", "no code", "no change")), exc
        else:
            python = spec_named("python")
            assert python is not None and resolved.edit is not None
            assert count_errors(parse(apply(REPORT, resolved.edit, uri, 1), python).root_node) == 0


def test_cli_prints_the_explanation(tiny_model_dir: Path, tmp_path: Path) -> None:
    path = make_workspace(tmp_path / "ws")
    settings = f'{{"model": "{tiny_model_dir}", "index": {{"cacheDir": "{tmp_path / "cache"}"}}}}'
    cmd = [sys.executable, "-m", "ghostls", "explain", str(path), "--range", "5:5-7:43", "--max-new-tokens", "12",
           "--settings", settings]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() and "[local " in out.stderr and "prompt tokens" in out.stderr
    bad = subprocess.run(cmd[:6] + ["5:5"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--range must look like" in bad.stderr


@pytest.mark.embedded
async def test_embedded_smollm2_explains_the_function(embedded_model_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    source = ("def fibonacci(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n")
    (root / "fib.py").write_text(source)
    async with explain_session({"index": {"cacheDir": str(tmp_path / "cache")}}, root) as (client, streams):
        uri = open_report(client, root / "fib.py")
        result = await execute(client, "ghostls.explain", {"uri": uri, "range": lsp_range(((0, 0), (4, 12))),
                                                           "streamId": "e1", "maxNewTokens": 64})
    assert "fibonacci" in result["markdown"].lower(), result["markdown"]
    assert result["model"] and len([e for e in streams.of("e1") if not e["done"]]) > 1
