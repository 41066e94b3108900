"""The server switches adapters without a restart, through a real LSP client (VS Code's capabilities)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from tests.finetune.conftest import ONE_THREAD
from tests.support.lsp import execute, inline_params, lsp_session, open_document

TEXT = "def handler_9_1(key):\n    result = "


async def _complete(client, uri: str) -> str:
    result = await client.text_document_inline_completion_async(inline_params(uri, 1, len("    result = ")))
    items = result.items if isinstance(result, types.InlineCompletionList) else (result or [])
    return items[0].insert_text if items else ""


async def test_set_adapter_changes_completions_and_status_without_restart(tiny_model_dir: Path,
                                                                          trained_adapter: Path,
                                                                          tmp_path: Path) -> None:
    settings = {"model": str(tiny_model_dir), "device": "cpu", "context": {"enable": False},
                "inline": {"cacheSize": 0}}
    async with lsp_session(settings, root=tmp_path, env=ONE_THREAD) as client:
        uri = open_document(client, tmp_path / "handlers.py", TEXT)
        status = await execute(client, "ghostls.adapterStatus")
        assert status == {"requested": None, "active": None, "error": None}
        base = await _complete(client, uri)

        status = await execute(client, "ghostls.setAdapter", {"path": str(trained_adapter)})
        assert status["active"]["path"] == str(trained_adapter.resolve()) and status["error"] is None
        assert status["active"]["figures"] == {"note": "test"}
        adapted = await _complete(client, uri)
        assert adapted != base and "ghost_registry" in adapted

        with pytest.raises(JsonRpcInvalidParams, match="No adapter folder"):
            await execute(client, "ghostls.setAdapter", {"path": str(tmp_path / "nope")})
        with pytest.raises(JsonRpcInvalidParams, match="'path' must be"):
            await execute(client, "ghostls.setAdapter", {"path": 3})

        status = await execute(client, "ghostls.setAdapter", {"path": ""})
        assert status["active"] is None
        assert await _complete(client, uri) == base

        # the setting does the same, and ghostls.status shows it
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={**settings, "finetune": {"adapter": str(trained_adapter)}}))
        status = await execute(client, "ghostls.adapterStatus")
        assert status["active"]["path"] == str(trained_adapter.resolve())
        assert await _complete(client, uri) == adapted
        full = await execute(client, "ghostls.status")
        assert full["settings"]["finetune"]["adapter"] == str(trained_adapter)

        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={**settings, "finetune": {"adapter": str(tmp_path / "gone")}}))
        status = await execute(client, "ghostls.adapterStatus")
        assert status["active"] is None and "No adapter folder" in status["error"]
        assert await _complete(client, uri) == base  # the server keeps serving, without the adapter
