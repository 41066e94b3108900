"""The embedded SmolLM2-135M through the real server: the completion is real code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.lsp import execute, inline_params, lsp_session, open_document

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "inventory.py"


@pytest.mark.embedded
async def test_embedded_model_completes_the_example_with_real_python(embedded_model_dir: Path) -> None:
    text = EXAMPLE.read_text()
    lines = text.split("\n")
    line = len(lines) - 2  # the indented empty body line
    assert lines[line].strip() == "" and lines[line - 1].strip().startswith('"""')
    async with lsp_session({}, root=EXAMPLE.parent) as client:
        uri = open_document(client, EXAMPLE, text)
        result = await client.text_document_inline_completion_async(inline_params(uri, line, len(lines[line])))
        status = await execute(client, "ghostls.status")
    assert status["provider"]["model"].startswith("SmolLM2-135M")
    assert result.items, "the embedded model produced no suggestion"
    completion = result.items[0].insert_text
    completed = "\n".join(lines[:line]) + "\n" + lines[line] + completion + "\n"
    ast.parse(completed)  # inserted where the editor would insert it, the file is valid Python
    tree = ast.parse(completed)
    body = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "total_value"][0].body
    assert len(body) >= 2, "the body holds more than the docstring"
    names = {n.id for n in ast.walk(ast.Module(body=body[1:], type_ignores=[])) if isinstance(n, ast.Name)}
    assert "items" in names or "item" in names, completion
