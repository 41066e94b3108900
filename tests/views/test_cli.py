"""``ghostls tokens|attention|positions`` through a real server (HeadlessSession)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ghostls.cli.views import parse_range

SOURCE = "x = '東京'  # 🐍\ndef f(a):\n    return a * 2\n"


def test_range_is_one_based_characters_converted_to_utf16() -> None:
    r = parse_range("1:13-3:17", SOURCE)
    assert SOURCE[12] == "🐍"  # column 13 on line 1, after 12 characters of one UTF-16 unit each
    assert r["start"] == {"line": 0, "character": 12}
    assert r["end"] == {"line": 2, "character": 16}
    assert parse_range("1:14-1:14", SOURCE)["start"]["character"] == 14  # past the snake: 2 UTF-16 units
    with pytest.raises(ValueError, match="line:column"):
        parse_range("1-3", SOURCE)
    with pytest.raises(ValueError, match="past the end"):
        parse_range("9:1-9:2", SOURCE)


def test_cli_tokens_and_attention(tiny_model_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "f.py"
    path.write_text(SOURCE, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "ghostls", "tokens", str(path), "--range", "2:1-3:17",
                          "--model", str(tiny_model_dir), "--json", "--compare", "gpt2"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    view = json.loads(out.stdout)
    assert "".join(g["text"] for g in view["groups"]) == "def f(a):\n    return a * 2"
    assert view["compare"]["tokenizer"]["vocabSize"] == 50257

    page = tmp_path / "attention.html"
    out = subprocess.run([sys.executable, "-m", "ghostls", "attention", str(path), "--model", str(tiny_model_dir),
                          "--aggregation", "max", "--layers", "1", "--html", str(page)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "max over 1 layers x 4 heads" in out.stdout
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")

