"""``ghostls.showPrompt`` through the real LSP client, and ``ghostls prompt`` on the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from ghostls.completion.pipeline import build_prompt
from ghostls.completion.request import CompletionRequest
from ghostls.providers.local import LocalProvider
from ghostls.settings import parse_settings
from tests.support.lsp import execute, lsp_session, open_document

HEADERS = ('"""Header parsing."""\n\n\ndef parse_header(line: str) -> tuple[str, str]:\n'
           '    """Split one header line into name and value."""\n'
           '    name, _, value = line.partition(":")\n    return name.strip(), value.strip()\n')
MAIN = ("from pkg.headers import parse_header\n\n\ndef read(lines):\n    out = {}\n"
        "    for line in lines:\n        \n    return out\n")
CURSOR = (6, 8)
# Deadlines are tested elsewhere; here a loaded machine must not drop a source.
PATIENT = {f"{name}DeadlineMs": 5000 for name in ("scopes", "definitions", "similar", "similarOpen", "recentEdits")}


def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "headers.py").write_text(HEADERS)
    (root / "pkg" / "main.py").write_text(MAIN)
    return root


def position(line: int, character: int) -> dict:
    return {"line": line, "character": character}


async def test_show_prompt_through_the_lsp_client(tmp_path, tiny_model_dir, isolated_cache):
    """One server: the prompt with its reasons, bad input, then context switched off at run time."""
    root = workspace(tmp_path)
    settings = {"model": str(tiny_model_dir), "contextSize": 512, "maxNewTokens": 32, "context": PATIENT}
    async with lsp_session(settings, root=root) as client:
        uri = open_document(client, root / "pkg" / "main.py", MAIN)
        answer = await execute(client, "ghostls.showPrompt", {"uri": uri, "position": position(*CURSOR)})
        again = await execute(client, "ghostls.showPrompt", {"uri": uri, "position": position(*CURSOR)})
        assert again == answer
        check_prompt_with_context(answer, root)

        for params, message in [({"uri": uri + "x", "position": position(0, 0)}, "is not open"),
                                ({"uri": uri, "position": position(99, 0)}, "outside"),
                                ({"uri": uri}, "'position' must be a position")]:
            with pytest.raises(JsonRpcException, match=message):
                await execute(client, "ghostls.showPrompt", params)
        assert (await execute(client, "ghostls.status"))["openDocuments"] == 1  # still serving

        # An edit in another open document comes back as a recently edited range.
        other = open_document(client, root / "pkg" / "other.py", "def unrelated():\n    return 0\n")
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=other, version=2),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(line=1, character=11), end=types.Position(line=1, character=12)),
                text="read_headers_total")]))
        edited = await execute(client, "ghostls.showPrompt", {"uri": uri, "position": position(*CURSOR)})
        recent = [s for s in edited["segments"] if s["source"] == "recent-edit"]
        assert [(s["path"], s["startLine"]) for s in recent] == [("pkg/other.py", 0)]
        assert "return read_headers_total" in edited["text"][recent[0]["start"]:recent[0]["end"]]

        plain = {**settings, "contextSize": 256, "context": {"enable": False}}
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=plain))
        without = await execute(client, "ghostls.showPrompt", {"uri": uri, "position": position(*CURSOR)})
    # Without context it is the pipeline's own prompt, built in-process with the same functions.
    parsed, _ = parse_settings(plain)
    offset = sum(len(x) + 1 for x in MAIN.split("\n")[:CURSOR[0]]) + CURSOR[1]
    request = CompletionRequest(MAIN, offset, path=str(root / "pkg" / "main.py"), language="python", invoked=True)
    expected = build_prompt(request, LocalProvider(model=str(tiny_model_dir), context_size=256), parsed)
    assert without["text"] == expected.text and without["budget"]["promptTokens"] == expected.token_count
    assert all(s["kind"] != "snippet" for s in without["segments"])


def check_prompt_with_context(answer: dict, root: Path) -> None:
    text, segments, budget = answer["text"], answer["segments"], answer["budget"]
    assert answer["profile"] == "starcoder2"  # the tiny model's tokenizer has <fim_prefix> and <file_sep>
    # The segments tile the prompt text, in order.
    assert "".join(text[s["start"]:s["end"]] for s in segments) == text
    definition = next(s for s in segments if s["source"] == "definition")
    assert definition["path"] == "pkg/headers.py" and definition["startLine"] == 3  # workspace-relative
    assert "def parse_header(line: str)" in text[definition["start"]:definition["end"]]
    assert definition["tokens"] > 0 and definition["score"] > 0
    prefix = next(s for s in segments if s["kind"] == "prefix")
    assert (prefix["path"], prefix["endLine"]) == (str(root / "pkg" / "main.py"), CURSOR[0])
    assert text.index("<file_sep>pkg/headers.py\n") < text.index("<fim_prefix>")
    # The budget: output reserved, everything counted in the model's tokens, nothing over.
    assert budget["total"] == 512 and budget["output"] == 32
    assert budget["promptTokens"] + budget["output"] <= budget["total"]
    assert budget["context"] <= budget["contextLimit"]
    assert budget["prefix"] > 0 and budget["suffix"] > 0


def test_the_cli_prints_the_prompt(tmp_path, tiny_model_dir, isolated_cache):
    from ghostls.cli.prompt import format_report

    root = workspace(tmp_path)
    settings = json.dumps({"model": str(tiny_model_dir), "contextSize": 512, "maxNewTokens": 32, "context": PATIENT})
    out = subprocess.run([sys.executable, "-m", "ghostls", "prompt", str(root / "pkg" / "main.py"),
                          "--line", str(CURSOR[0]), "--character", str(CURSOR[1]), "--settings", settings, "--json",
                          "--root", str(root)],
                         capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    check_prompt_with_context(answer, root)
    human = format_report(answer)
    assert human.startswith(answer["text"])
    assert "definition    " in human and "pkg/headers.py:4-" in human


def test_the_cli_reports_a_missing_file(tmp_path):
    out = subprocess.run([sys.executable, "-m", "ghostls", "prompt", str(tmp_path / "nope.py"), "--line", "0",
                          "--character", "0"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "is not a file" in out.stderr
