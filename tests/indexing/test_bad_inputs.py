"""Bad input never stops the index: broken code, bad bytes, huge files, loops, lost files, bad caches."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from ghostls.indexing import store as store_module
from ghostls.indexing.store import database_path
from ghostls.indexing.worker import index_file
from tests.indexing.conftest import write_tree


def test_syntax_errors_index_what_parses(tmp_path: Path, make_index) -> None:
    root = write_tree(tmp_path / "w", {
        "broken.py": "def good():\n    return 1\n\ndef bad(:\n    pass\n\nclass Still:\n    def ok(self): pass\n",
        "broken.ts": "function fine(a: number) { return a }\nclass {{{ \nexport const AFTER = 2;\n",
    })
    index = make_index(root)
    assert index.build().parsed == 2
    assert index.lookup("good") and index.lookup("ok") and index.lookup("Still")
    assert index.lookup("fine")


def test_invalid_utf8_and_nul_bytes(tmp_path: Path, make_index) -> None:
    root = write_tree(tmp_path / "w", {
        "latin1.py": "# caf\xe9\ndef caf\xe9_name(): pass\ndef plain():\n    'na\xefve'\n".encode("latin-1"),
        "nul_late.py": b"def before(): pass\n" + b"x = 1\n" * 2000 + b"\x00\ndef after(): pass\n",
        "nul_early.py": b"\x00\x01\x02def hidden(): pass\n",
    })
    index = make_index(root)
    stats = index.build()
    assert stats.skipped == {"binary": 1}  # a NUL in the first 8 KiB: treated as binary
    assert index.lookup("plain") and index.lookup("before")
    assert index.lookup("plain")[0].doc == "na\ufffdve"  # undecodable bytes are replaced, never raised
    assert index.lookup("hidden") == []


def test_fifty_megabyte_file_is_skipped_unread(tmp_path: Path, make_index) -> None:
    root = write_tree(tmp_path / "w", {"small.py": "def small(): pass\n"})
    with open(root / "huge.py", "wb") as fh:
        fh.write(b"def huge(): pass\n")
        fh.truncate(50 * 1024 * 1024)  # sparse: 50 MB without writing them
    index = make_index(root)
    stats = index.build()
    assert stats.skipped == {"too-large": 1} and stats.parsed == 1
    assert index.lookup("huge") == []


def test_symlink_loops_and_dangling_links(tmp_path: Path, make_index) -> None:
    root = write_tree(tmp_path / "w", {"pkg/mod.py": "def real(): pass\n"})
    os.symlink(root, root / "pkg" / "loop")  # a directory link back to the root
    os.symlink("self.py", root / "self.py")  # a link to itself (ELOOP)
    os.symlink("missing.py", root / "dangling.py")
    os.symlink(root / "pkg" / "mod.py", root / "alias.py")  # a file link is indexed under its own name
    index = make_index(root)
    stats = index.build()
    assert stats.parsed == 2
    assert sorted(os.path.basename(d.path) for d in index.lookup("real")) == ["alias.py", "mod.py"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_by_permissions(tmp_path: Path, make_index) -> None:
    root = write_tree(tmp_path / "w", {"ok.py": "def ok(): pass\n", "locked.py": "def locked(): pass\n"})
    (root / "locked.py").chmod(0)
    index = make_index(root)
    stats = index.build()
    assert stats.skipped == {"unreadable": 1} and index.lookup("ok")


def test_unreadable_file_reports_the_os_error(tmp_path: Path) -> None:
    # A directory named like a source file: open() fails with a real OSError (EISDIR), which is
    # how an unreadable file looks to the indexer even when the tests run as root.
    (tmp_path / "weird.py").mkdir()
    result = index_file(str(tmp_path / "weird.py"), 10, 1, 1 << 20)
    assert result[4].startswith("unreadable:") and result[5] == []


def test_files_deleted_while_indexing(tmp_path: Path, make_index) -> None:
    files = {f"m{i:03}.py": f"def f{i}(): pass\n" for i in range(100)}
    root = write_tree(tmp_path / "w", files)
    gone = sorted(files)[::2]

    def delete_half(done: int, total: int, message: str) -> None:
        if done and (root / gone[0]).exists():  # after the first batch, half the files disappear
            for name in gone:
                (root / name).unlink()

    index = make_index(root)
    stats = index.build(delete_half)
    assert not (root / gone[0]).exists()
    assert 0 < stats.removed <= 50 and stats.parsed + stats.removed == 100 and not stats.skipped
    assert index.build().removed == 50 - stats.removed  # what was read before it went is dropped next time
    assert set(index.store.file_states()) == {str(root / n) for n in files if n not in gone}
    assert index.lookup("f1") and index.lookup("f0") == []


def test_corrupt_cache_is_rebuilt_and_reported_once(tmp_path: Path, make_index) -> None:
    root = write_tree(tmp_path / "w", {"a.py": "def a(): pass\n"})
    cache = tmp_path / "cache"
    db = database_path(str(root), str(cache))
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not a database" * 100)
    problems: list[str] = []
    index = make_index(root, cache_dir=str(cache), on_problem=problems.append)
    assert len(problems) == 1 and "rebuilt" in problems[0]
    assert index.build().parsed == 1 and index.lookup("a")


def test_cache_from_an_older_schema_starts_afresh(tmp_path: Path, make_index) -> None:
    root = write_tree(tmp_path / "w", {"a.py": "def a(): pass\n"})
    db = database_path(str(root), str(tmp_path / "cache"))
    db.parent.mkdir(parents=True)
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT)")
        conn.execute("INSERT INTO meta VALUES ('schema', '0')")
        conn.execute("CREATE TABLE files(path TEXT)")
    index = make_index(root)
    assert index.build().parsed == 1 and index.lookup("a")


def test_locked_cache_falls_back_to_a_private_index(tmp_path: Path, make_index, monkeypatch) -> None:
    monkeypatch.setattr(store_module.IndexStore, "busy_timeout_s", 0.2)
    root = write_tree(tmp_path / "w", {"a.py": "def a(): pass\n"})
    first = make_index(root)
    first.build()
    first.close()
    holder = sqlite3.connect(first.store.path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=DELETE")
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock and does not let go
    try:
        problems: list[str] = []
        index = make_index(root, on_problem=problems.append)
        assert len(problems) == 1 and "locked" in problems[0]
        assert index.store.path != first.store.path
        assert index.build().parsed == 1 and index.lookup("a")
        private = index.store.path
        index.close()
        assert not private.exists()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
