"""The selection's code actions through the real client, with canned replies from the local
Bedrock stand-in: listing is free, ``codeAction/resolve`` returns a WorkspaceEdit that applies
cleanly and parses, and a reply that would break the file is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from ghostls.completion.syntax import count_errors
from ghostls.indexing.languages import parse, spec_named
from tests.aws.bedrock_server import AwsTestServer, Stream
from tests.explain.conftest import DESCRIBE, REPORT, bedrock_settings, explain_session, make_workspace, open_report

DESCRIBE_RANGE = types.Range(start=types.Position(line=4, character=4), end=types.Position(line=6, character=20))

# Canned model replies (a chat model's habits: prose around a fence, code dedented to column 0).
REPLIES = {
    "docstring": ('Here is the documented method:\n\n```python\ndef describe(self, shape):\n'
                  '    """One line naming the shape and its area."""\n    area = polygon_area(shape.points)\n'
                  '    return f"{shape.name}: {area:.2f}"\n```\n'),
    "refactor": ('```python\ndef describe(self, shape):\n    name, area = shape.name, polygon_area(shape.points)\n'
                 '    return f"{name}: {area:.2f}"\n```'),
    "fix": ('```python\ndef describe(self, shape):\n    area = polygon_area(list(shape.points))\n'
            '    return f"{shape.name}: {area:.2f}"\n```\nI converted the points to a list.'),
    "optimize": ('```\ndef describe(self, shape):\n    return f"{shape.name}: {polygon_area(shape.points):.2f}"\n```'),
}
EXPECTED = {  # a line the edited file must contain, indented as in the class
    "docstring": '        """One line naming the shape and its area."""',
    "refactor": "        name, area = shape.name, polygon_area(shape.points)",
    "fix": "        area = polygon_area(list(shape.points))",
    "optimize": '        return f"{shape.name}: {polygon_area(shape.points):.2f}"',
}


def apply(text: str, edit: types.WorkspaceEdit, uri: str, version: int) -> str:
    assert edit.document_changes and len(edit.document_changes) == 1  # VS Code takes versioned edits
    change = edit.document_changes[0]
    assert isinstance(change, types.TextDocumentEdit)
    assert change.text_document.uri == uri and change.text_document.version == version
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    for e in sorted(change.edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        a = starts[e.range.start.line] + e.range.start.character
        b = starts[e.range.end.line] + e.range.end.character
        text = text[:a] + e.new_text + text[b:]
    return text


def read_code_actions_like_vscode(client: Any) -> None:
    """lsprotocol's client-side hook reads any item with a "command" key as a Command, so a
    CodeAction that runs a command comes out as a Command with a mangled ``command``.
    vscode-languageclient tells them apart by the type of ``command`` (a string for a Command);
    do the same here."""
    converter = client.protocol._converter

    def hook(obj: Any, _: Any) -> types.Command | types.CodeAction:
        if isinstance(obj.get("command"), str):
            return converter.structure(obj, types.Command)
        return converter.structure(obj, types.CodeAction)

    converter.register_structure_hook(types.Command | types.CodeAction, hook)


def actions_by_kind(result: Any) -> dict[str, types.CodeAction]:
    return {a.kind: a for a in result or [] if isinstance(a, types.CodeAction)}


async def code_actions(client: Any, uri: str, r: types.Range = DESCRIBE_RANGE,
                       diagnostics: list[types.Diagnostic] | None = None) -> dict[str, types.CodeAction]:
    return actions_by_kind(await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=r,
        context=types.CodeActionContext(diagnostics=diagnostics or []))))


async def test_each_edit_action_applies_cleanly_and_parses(aws_server: AwsTestServer, tmp_path: Path) -> None:
    path = make_workspace(tmp_path / "ws")
    problem = types.Diagnostic(range=DESCRIBE_RANGE, message="'points' may be a generator", source="lint",
                               severity=types.DiagnosticSeverity.Warning)
    async with explain_session(bedrock_settings(aws_server, tmp_path), tmp_path / "ws") as (client, _):
        read_code_actions_like_vscode(client)
        uri = open_report(client, path)
        listed = await code_actions(client, uri, diagnostics=[problem])
        assert len(aws_server.requests) == 0  # opening the light bulb costs nothing
        explain = listed.pop("refactor.ghostls.explain")
        assert explain.command and explain.command.command == "ghostls.explain"
        assert explain.command.arguments[0]["uri"] == uri
        assert {a.title for a in listed.values()} == {"ghostls: Add docstring", "ghostls: Refactor", "ghostls: Fix",
                                                      "ghostls: Optimize"}
        assert all(a.edit is None for a in listed.values())

        python = spec_named("python")
        assert python is not None
        for action in listed.values():
            name = action.data["action"]
            aws_server.push(Stream([REPLIES[name][:15], REPLIES[name][15:]]))
            resolved = await client.code_action_resolve_async(action)
            assert resolved.edit is not None, name
            edited = apply(REPORT, resolved.edit, uri, 1)
            assert EXPECTED[name] in edited.split("\n"), (name, edited)
            assert count_errors(parse(edited, python).root_node) == 0, (name, edited)
            assert "    def total(self, shapes):" in edited  # the rest of the file is untouched
            prompt = aws_server.requests[-1].json["messages"][0]["content"][0]["text"]
            assert "def polygon_area(points):" in prompt
            if name == "docstring":
                assert "PEP 257" in prompt
            if name == "fix":
                assert "'points' may be a generator" in prompt and resolved.diagnostics


async def test_a_reply_that_does_not_parse_changes_nothing(aws_server: AwsTestServer, tmp_path: Path) -> None:
    path = make_workspace(tmp_path / "ws")
    async with explain_session(bedrock_settings(aws_server, tmp_path), tmp_path / "ws") as (client, _):
        uri = open_report(client, path)
        refactor = (await code_actions(client, uri))["refactor.rewrite.ghostls.refactor"]
        aws_server.push(Stream(["```python\ndef describe(self, shape:\n    return (\n```"]))
        with pytest.raises(Exception, match="does not parse"):
            await client.code_action_resolve_async(refactor)
        aws_server.push(Stream(["I cannot improve this code."]))
        with pytest.raises(Exception, match="does not parse|no change"):
            await client.code_action_resolve_async(refactor)
        # the document changed since the light bulb opened: the stale action is refused
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=REPORT + "\n")]))
        count = len(aws_server.requests)
        with pytest.raises(Exception, match="changed"):
            await client.code_action_resolve_async(refactor)
        assert len(aws_server.requests) == count
        assert DESCRIBE  # the same selection as the explain tests


async def test_a_client_without_resolve_support_gets_only_explain(aws_server: AwsTestServer, tmp_path: Path) -> None:
    """Emacs 29 (eglot) declares no codeAction resolveSupport: the edit actions would need a model
    run every time the light bulb opens, so they are not offered there."""
    from pytest_lsp import client_capabilities

    from tests.support.lsp import lsp_session, open_document

    path = make_workspace(tmp_path / "ws")
    settings = bedrock_settings(aws_server, tmp_path)
    async with lsp_session(settings, root=tmp_path / "ws", capabilities=client_capabilities("emacs")) as client:
        read_code_actions_like_vscode(client)
        uri = open_document(client, path, path.read_text())
        assert list(await code_actions(client, uri)) == ["refactor.ghostls.explain"]
    assert aws_server.requests == []
