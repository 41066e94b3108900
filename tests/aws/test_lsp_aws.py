"""End to end: the real server over stdio with provider=bedrock, talking to the local Bedrock."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types

from tests.aws.bedrock_server import AwsTestServer, Error, Stream
from tests.aws.conftest import aws_settings_json
from tests.aws.test_privacy import AWS_KEY_ID
from tests.support.lsp import inline_params, lsp_session, open_document

SOURCE = f"KEY = '{AWS_KEY_ID}'\n\ndef add(a, b):\n    return \n"


def items(result: types.InlineCompletionList | list | None) -> list[str]:
    if result is None:
        return []
    found = result.items if isinstance(result, types.InlineCompletionList) else result
    return [i.insert_text if isinstance(i.insert_text, str) else i.insert_text.value for i in found]


async def test_streamed_completion_cancellation_and_privacy(aws_server: AwsTestServer, tmp_path: Path) -> None:
    settings = aws_settings_json(aws_server)
    async with lsp_session(settings, root=tmp_path, configuration=settings) as client:
        uri = open_document(client, tmp_path / "calc.py", SOURCE)

        aws_server.push(Stream(["a", " + b"]))
        result = await client.text_document_inline_completion_async(inline_params(uri, 3, 11))
        assert items(result) == ["a + b"]
        sent = aws_server.requests[-1]
        assert "/converse-stream" in sent.path and "def add(a, b):" in sent.text
        assert AWS_KEY_ID not in sent.text  # redacted before it left the server

        # $/cancelRequest while the model is still streaming closes the HTTP stream.  Every step
        # uses its own document: the server answers a repeated prompt from its cache.
        aws_server.push(Stream(["a"], hold=True))
        uri = open_document(client, tmp_path / "calc2.py", SOURCE)
        pending = asyncio.wrap_future(client.protocol.send_request(
            types.TEXT_DOCUMENT_INLINE_COMPLETION, inline_params(uri, 3, 11), msg_id="ghost-cancel"))
        opened = await asyncio.to_thread(aws_server.stream_opened.wait, 30)
        assert opened, ([r.path for r in aws_server.requests], [m.message for m in client.log_messages][-15:])
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="ghost-cancel"))
        assert await asyncio.to_thread(aws_server.stream_closed.wait, 10), "the stream was left open"
        with pytest.raises(Exception, match="(?i)cancel"):
            await asyncio.wait_for(pending, 10)

        # The server keeps serving; an excluded file is never sent.
        aws_server.push(Stream(["c"]))
        uri = open_document(client, tmp_path / "calc3.py", SOURCE)
        result = await client.text_document_inline_completion_async(inline_params(uri, 3, 11))
        assert items(result) == ["c"]
        count = len(aws_server.requests)
        env_uri = open_document(client, tmp_path / ".env", "API_TOKEN=", language_id="dotenv")
        result = await client.text_document_inline_completion_async(inline_params(env_uri, 0, 10))
        assert items(result) == [] and len(aws_server.requests) == count


async def test_failures_are_told_once_and_the_editor_stays_quiet(aws_server: AwsTestServer, tmp_path: Path) -> None:
    aws_server.default = Error(403, "AccessDeniedException", "You don't have access to the model.")
    settings = aws_settings_json(aws_server)
    async with lsp_session(settings, root=tmp_path, configuration=settings) as client:
        for name in ("calc.py", "other.py"):  # two prompts, two model calls
            uri = open_document(client, tmp_path / name, SOURCE)
            result = await client.text_document_inline_completion_async(inline_params(uri, 3, 11))
            assert items(result) == []
        shown = [m.message for m in client.messages if "denied" in m.message]
        assert len(shown) == 1 and "Model access" in shown[0]
        assert len(aws_server.requests) == 2


@pytest.mark.usefixtures("no_credentials")
async def test_missing_credentials_through_the_server(aws_server: AwsTestServer, tmp_path: Path) -> None:
    settings = aws_settings_json(aws_server)
    async with lsp_session(settings, root=tmp_path, configuration=settings) as client:
        uri = open_document(client, tmp_path / "calc.py", SOURCE)
        result = await client.text_document_inline_completion_async(inline_params(uri, 3, 11))
        assert items(result) == []
        assert any("No AWS credentials" in m.message for m in client.messages)
    assert aws_server.requests == []


async def test_code_leaves_only_with_a_remote_provider(aws_server: AwsTestServer, tmp_path: Path,
                                                       tiny_model_dir: Path) -> None:
    """AWS settings filled in but provider=local: completions come, nothing reaches AWS."""
    settings = {**aws_settings_json(aws_server, provider="local"), "model": str(tiny_model_dir), "maxNewTokens": 4}
    async with lsp_session(settings, root=tmp_path, configuration=settings) as client:
        uri = open_document(client, tmp_path / "calc.py", SOURCE)
        await client.text_document_inline_completion_async(inline_params(uri, 3, 11))
        assert not [m for m in client.messages if m.type == types.MessageType.Error]
    assert aws_server.requests == [] and aws_server.url.startswith("http://127.0.0.1:")
