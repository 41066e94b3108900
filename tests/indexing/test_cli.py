"""``ghostls index PATH``: builds, refreshes, and reports (as text and as JSON)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.indexing.conftest import write_tree


def _index(*args: str, cache: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ghostls", "index", *args, "--cache-dir", str(cache)],
                          capture_output=True, text=True, timeout=120)


def test_index_json_then_text_summary(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "proj", {
        "a.py": "def one(): pass\nclass Two: pass\n", "b.go": "package b\nfunc Three() {}\n",
        "bin.py": b"\x00\x00binary",
    })
    first = _index(str(root), "--json", cache=tmp_path / "cache")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert (summary["parsed"], summary["files"], summary["symbols"]) == (2, 2, 3)
    assert summary["symbolsByLanguage"] == {"go": 1, "python": 2} and summary["skipped"] == {"binary": 1}
    assert summary["cache"].startswith(str(tmp_path / "cache"))

    second = _index(str(root), cache=tmp_path / "cache")
    assert second.returncode == 0, second.stderr
    assert "this run parsed 0, 3 unchanged" in second.stdout and "python" in second.stdout
    assert second.stdout.count("\n") >= 5


def test_index_rejects_a_missing_folder(tmp_path: Path) -> None:
    result = _index(str(tmp_path / "nope"), cache=tmp_path / "cache")
    assert result.returncode == 2 and "not a directory" in result.stderr and result.stdout == ""
