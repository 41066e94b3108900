"""Commands that need no server or model start without importing one.

Every ``ghostls`` command builds the whole argument parser, so a sub-command module that imports
the LSP client stack (pygls, lsprotocol) or a model library (torch, transformers) at its top makes
``ghostls schema`` and ``--help`` pay for it.  Each case runs in a fresh interpreter, as a user's
shell would, and lists the heavy packages loaded by the time the command returned.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

MODEL_STACK = {"torch", "transformers"}
LSP_STACK = {"pygls", "lsprotocol"}

PROBE = """
import json, sys
from ghostls.cli import main
out, argv = sys.argv[1], sys.argv[2:]
try:
    code = main(argv)
except SystemExit as exc:  # --help exits through argparse
    code = exc.code
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(%r))
with open(out, "w") as fh:
    json.dump({"code": code, "loaded": loaded}, fh)
"""


def _heavy_modules_after(argv: list[str], tmp_path: Path) -> dict:
    out = tmp_path / "loaded.json"
    probe = PROBE % sorted(MODEL_STACK | LSP_STACK)
    proc = subprocess.run([sys.executable, "-c", probe, str(out), *argv],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(out.read_text())


@pytest.mark.parametrize("argv", [["schema"], ["--help"], ["index", "--help"], ["complete", "--help"],
                                  ["replay", "--help"], ["finetune", "--help"]])
def test_commands_that_start_no_server_import_no_lsp_or_model_stack(argv: list[str], tmp_path: Path) -> None:
    result = _heavy_modules_after(argv, tmp_path)
    assert result["code"] in (0, None)
    assert result["loaded"] == []


def test_indexing_a_folder_imports_no_lsp_or_model_stack(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "a.py").write_text("def f():\n    return 1\n")
    result = _heavy_modules_after(["index", str(folder), "--json", "--workers", "1",
                                   "--cache-dir", str(tmp_path / "cache")], tmp_path)
    assert result["code"] == 0
    assert result["loaded"] == []


def test_the_probe_does_see_the_lsp_stack_when_a_command_loads_it(tmp_path: Path) -> None:
    """Guards the test itself: a command that starts a client does show up as loading pygls."""
    result = _heavy_modules_after(["prompt", str(tmp_path / "missing.py"), "--line", "0", "--character", "0"],
                                  tmp_path)
    assert result["code"] == 2  # the file check comes after the session's imports
    assert "pygls" in result["loaded"] and "lsprotocol" in result["loaded"]
