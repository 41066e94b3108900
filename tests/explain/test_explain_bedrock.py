"""``ghostls.explain`` through the real server and client, on the local Bedrock stand-in:
the prompt carries the helper's definition from another file, text streams before the
answer, and ``$/cancelRequest`` closes the model's stream."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types

from tests.aws.bedrock_server import AwsTestServer, Stream
from tests.explain.conftest import DESCRIBE, bedrock_settings, explain_session, lsp_range, make_workspace, open_report
from tests.support.lsp import execute


async def test_explain_sends_the_helper_definition_and_streams(aws_server: AwsTestServer, tmp_path: Path) -> None:
    path = make_workspace(tmp_path / "ws")
    async with explain_session(bedrock_settings(aws_server, tmp_path), tmp_path / "ws") as (client, streams):
        uri = open_report(client, path)
        aws_server.push(Stream(["`describe` computes ", "the polygon's area ", "and formats it."]))
        seen_at_answer: list[int] = []
        # The token travels in the argument object (VS Code's client sends no workDoneToken of its
        # own with executeCommand); the client is also told of it so that it accepts the reports.
        client.progress_reports.setdefault("explain-1", [])
        future = asyncio.ensure_future(client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="ghostls.explain", work_done_token="explain-1", arguments=[{
                "uri": uri, "range": lsp_range(DESCRIBE), "streamId": "s1", "workDoneToken": "explain-1"}])))
        future.add_done_callback(lambda f: seen_at_answer.append(len(streams.of("s1"))))
        result = await future

    assert result["markdown"] == "`describe` computes the polygon's area and formats it."
    assert result["truncated"] is False and result["provider"] == "bedrock"
    sent = aws_server.requests[-1]
    assert "/converse-stream" in sent.path
    body = sent.json["messages"][0]["content"][0]["text"]
    assert "def polygon_area(points):" in body and "shoelace formula" in body  # the helper, from geometry.py
    assert "class Report:" in body  # the enclosing scope
    assert "area = polygon_area(shape.points)" in body  # the selection itself
    assert "pkg/report.py" in body and "python" in body
    assert "def total" not in body  # not selected, not needed
    names = {(c["kind"], c["name"]) for c in result["context"]}
    assert ("definition", "polygon_area") in names and ("scope", "Report") in names

    events = streams.of("s1")
    partial = [e for e in events if not e["done"]]
    assert len(partial) >= 2 and seen_at_answer[0] >= len(partial)  # partial text came before the answer
    assert all(result["markdown"].startswith(e["text"]) for e in partial)
    assert [len(e["text"]) for e in partial] == sorted(len(e["text"]) for e in partial)
    assert events[-1] == {"streamId": "s1", "text": result["markdown"], "done": True}
    reports = client.progress_reports.get("explain-1", [])
    assert reports and any(getattr(r, "message", None) == partial[0]["text"] for r in reports)


async def test_question_and_cancellation(aws_server: AwsTestServer, tmp_path: Path) -> None:
    path = make_workspace(tmp_path / "ws")
    async with explain_session(bedrock_settings(aws_server, tmp_path), tmp_path / "ws") as (client, streams):
        uri = open_report(client, path)
        aws_server.push(Stream(["It computes"], hold=True))
        params = types.ExecuteCommandParams(command="ghostls.explain", arguments=[{
            "uri": uri, "range": lsp_range(DESCRIBE), "streamId": "c1", "question": "Why abs()?"}])
        pending = asyncio.wrap_future(client.protocol.send_request(
            types.WORKSPACE_EXECUTE_COMMAND, params, msg_id="explain-cancel"))
        await asyncio.wait_for(streams.waiter("c1").wait(), 30)  # the first words arrived
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="explain-cancel"))
        assert await asyncio.to_thread(aws_server.stream_closed.wait, 10), "the model's stream was left open"
        with pytest.raises(Exception, match="(?i)cancel"):
            await asyncio.wait_for(pending, 10)
        assert "Why abs()?" in aws_server.requests[-1].text
        assert not any(e["done"] for e in streams.of("c1"))

        aws_server.push(Stream(["Still serving."]))  # the server goes on
        result = await execute(client, "ghostls.explain", {"uri": uri, "range": lsp_range(DESCRIBE)})
        assert result["markdown"] == "Still serving."
