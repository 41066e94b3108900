"""`ghostls complete` drives a real server subprocess and prints the completion."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_complete_prints_json_from_a_real_server(tmp_path: Path, tiny_model_dir: Path) -> None:
    source = tmp_path / "calc.py"
    source.write_text("def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    ret\n")
    settings = json.dumps({"model": str(tiny_model_dir), "maxNewTokens": 8})
    proc = subprocess.run([sys.executable, "-m", "ghostls", "complete", str(source), "--line", "5",
                           "--character", "7", "--json", "--settings", settings],
                          capture_output=True, text=True, timeout=240)
    out = json.loads(proc.stdout)
    assert out["provider"]["state"] == "ready" and out["provider"]["model"] == tiny_model_dir.name
    assert proc.returncode == (0 if out["items"] else 1)
    for item in out["items"]:
        assert item["range"]["start"] == {"line": 5, "character": 7}


def test_complete_reports_a_missing_file_clearly(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "ghostls", "complete", str(tmp_path / "none.py"),
                           "--line", "0", "--character", "0"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "is not a file" in proc.stderr


def test_complete_reports_a_bad_model_setting(tmp_path: Path) -> None:
    source = tmp_path / "a.py"
    source.write_text("x = \n")
    proc = subprocess.run([sys.executable, "-m", "ghostls", "complete", str(source), "--line", "0",
                           "--character", "4", "--model", str(tmp_path / "missing") + "/"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "(no suggestion)" in proc.stdout and "ghostls.model" in proc.stderr
