"""Each bad input gets a clear message and the server keeps serving: empty selection, a
selection larger than the context budget, binary and unsupported files, excluded files, and a
provider that cannot load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from tests.aws.bedrock_server import AwsTestServer, Stream
from tests.explain.conftest import DESCRIBE, bedrock_settings, explain_session, lsp_range, make_workspace, open_report
from tests.explain.test_actions_bedrock import code_actions, read_code_actions_like_vscode
from tests.support.lsp import execute, open_document

BIG = "def big(values):\n" + "".join(f"    values.append({i} * len(values))  # step {i}\n" for i in range(400)) + \
    "    return values  # THE LAST LINE\n"


def whole(text: str) -> dict[str, Any]:
    lines = text.split("\n")
    return {"start": {"line": 0, "character": 0}, "end": {"line": len(lines) - 1, "character": len(lines[-1])}}


async def test_bad_inputs_get_clear_messages(aws_server: AwsTestServer, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    path = make_workspace(root)
    (root / "secret").mkdir()
    (root / "secret" / "__init__.py").write_text("")
    (root / "secret" / "vault.py").write_text("def api_key():\n    return 'VAULT-CONTENTS'\n")
    (root / "uses.py").write_text("from secret.vault import api_key\n\n\ndef call():\n    return api_key()\n")
    settings = bedrock_settings(aws_server, tmp_path, contextSize=700, privacy={"exclude": ["secret/**"]})
    async with explain_session(settings, root) as (client, streams):
        read_code_actions_like_vscode(client)
        uri = open_report(client, path)

        empty = {"start": {"line": 4, "character": 4}, "end": {"line": 4, "character": 4}}
        blank = {"start": {"line": 2, "character": 0}, "end": {"line": 3, "character": 0}}
        for params in ({"uri": uri, "range": empty}, {"uri": uri}, {"uri": uri, "range": blank}):
            with pytest.raises(Exception, match="nothing is selected"):
                await execute(client, "ghostls.explain", params)
        assert await code_actions(client, uri, types.Range(start=types.Position(line=4, character=4),
                                                           end=types.Position(line=4, character=4))) == {}
        with pytest.raises(Exception, match="not open"):
            await execute(client, "ghostls.explain", {"uri": (root / "nope.py").as_uri(), "range": empty})

        binary = open_document(client, root / "blob.bin", "\x00\x01ELF\x00" * 40, language_id="plaintext")
        with pytest.raises(Exception, match="binary"):
            await execute(client, "ghostls.explain", {"uri": binary, "range": lsp_range(((0, 0), (0, 20)))})
        assert await code_actions(client, binary, types.Range(start=types.Position(line=0, character=0),
                                                              end=types.Position(line=0, character=20))) == {}

        notes = open_document(client, root / "notes.txt", "the cache is warmed at start\n", language_id="plaintext")
        first_line = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=28))
        listed = await code_actions(client, notes, first_line)
        assert list(listed) == ["refactor.ghostls.explain"]  # no edits without a grammar to check them
        forged = types.CodeAction(title="ghostls: Refactor", data={
            "uri": notes, "range": lsp_range(((0, 0), (0, 28))), "action": "refactor", "version": 1})
        with pytest.raises(Exception, match="not supported for plaintext"):
            await client.code_action_resolve_async(forged)

        sent = len(aws_server.requests)
        hidden = open_document(client, root / "secret" / "keys.py", "def key():\n    return 'k'\n")
        with pytest.raises(Exception, match="privacy.exclude"):
            await execute(client, "ghostls.explain", {"uri": hidden, "range": lsp_range(((0, 0), (1, 14)))})
        assert len(aws_server.requests) == sent  # nothing left the machine
        uses = open_document(client, root / "uses.py", (root / "uses.py").read_text())
        aws_server.push(Stream(["It calls api_key."]))
        result = await execute(client, "ghostls.explain", {"uri": uses, "range": lsp_range(((3, 0), (4, 20)))})
        assert result["markdown"] == "It calls api_key." and "VAULT-CONTENTS" not in aws_server.requests[-1].text
        assert not [c for c in result["context"] if "secret" in c["path"]]  # an excluded file's definition

        # Larger than the budget: the part that fits is explained, and the answer says so.
        big = open_document(client, root / "big.py", BIG)
        aws_server.push(Stream(["It appends."]))
        result = await execute(client, "ghostls.explain", {"uri": big, "range": whole(BIG), "maxNewTokens": 200,
                                                           "streamId": "big"})
        assert result["truncated"] is True
        assert result["markdown"].startswith("> **Note:** the selection (lines 1-402) is larger than")
        assert result["markdown"].endswith("It appends.")
        body = aws_server.requests[-1].text
        assert "def big(values):" in body and "THE LAST LINE" not in body
        assert streams.of("big")[-1]["text"] == result["markdown"]
        refactor = (await code_actions(client, big, types.Range(
            start=types.Position(line=0, character=0), end=types.Position(line=401, character=0))))[
            "refactor.rewrite.ghostls.refactor"]
        with pytest.raises(Exception, match="larger than the model's context budget"):
            await client.code_action_resolve_async(refactor)

        aws_server.push(Stream(["Fine."]))  # and the server still serves
        result = await execute(client, "ghostls.explain", {"uri": uri, "range": lsp_range(DESCRIBE)})
        assert result["markdown"] == "Fine."


async def test_provider_unavailable(aws_server: AwsTestServer, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    path = make_workspace(root)
    settings = bedrock_settings(aws_server, tmp_path)
    settings["aws"] = {**settings["aws"], "modelId": ""}
    async with explain_session(settings, root) as (client, _):
        read_code_actions_like_vscode(client)
        uri = open_report(client, path)
        for _ in range(2):
            with pytest.raises(Exception, match="no model is available: 'ghostls.aws.modelId' is empty"):
                await execute(client, "ghostls.explain", {"uri": uri, "range": lsp_range(DESCRIBE)})
        docstring = (await code_actions(client, uri))["refactor.rewrite.ghostls.docstring"]
        with pytest.raises(Exception, match="modelId"):
            await client.code_action_resolve_async(docstring)
    assert aws_server.requests == []
