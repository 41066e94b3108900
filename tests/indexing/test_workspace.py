"""The workspace index: build, restart, invalidation, .gitignore, look-ups, the process pool."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ghostls.indexing import workspace as workspace_module
from ghostls.indexing.store import database_path
from tests.indexing.conftest import write_tree

PROJECT = {
    "pkg/__init__.py": "from .models import User\n",
    "pkg/models.py": (
        '"""Models."""\n\nLIMIT = 3\n\n\nclass User:\n    """A user."""\n\n'
        "    def __init__(self, name):\n        self.name = name\n\n"
        "    def greet(self):\n        return 'hi ' + self.name\n\n\n"
        "def make_user(name):\n    return User(name)\n"),
    "pkg/util.py": "def helper():\n    return 1\n\n\ndef make_widget():\n    return 2\n",
    "app.py": "import os\nfrom pkg.models import User, make_user\nfrom pkg import util\n\n\ndef main():\n"
              "    u = make_user('x')\n    return u.greet()\n",
    "web/api.ts": "import { render } from './view';\n"
                  "export function serve(port: number) {\n  return render(port);\n}\n",
    "web/view.ts": "export function render(x: number): string {\n  return String(x);\n}\nexport const VERSION = 1;\n",
    "README.md": "# not code\n",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "proj", PROJECT)


def test_build_and_lookups(project: Path, make_index) -> None:
    index = make_index(project)
    stats = index.build()
    assert stats.parsed == 6 and stats.files_seen == 6  # README is not a language file
    (user,) = index.lookup("User")
    assert (user.kind, user.path, user.start_line, user.doc) == ("class", str(project / "pkg/models.py"), 5, "A user.")
    assert [d.qualified_name for d in index.lookup("greet")] == ["User.greet"]
    assert {d.name for d in index.lookup_prefix("make_")} == {"make_user", "make_widget"}
    assert index.lookup("nothing_like_this") == []
    assert [d.name for d in index.definitions_in(str(project / "pkg/util.py"))] == ["helper", "make_widget"]
    assert index.read_source(index.lookup("make_user")[0]) == "def make_user(name):\n    return User(name)"
    assert index.read_source(user, max_lines=2) == 'class User:\n    """A user."""'


def test_search_is_case_insensitive_prefix_then_substring(project: Path, make_index) -> None:
    index = make_index(project)
    index.build()
    names = [d.name for d in index.search("MAKE")]
    assert names == ["make_user", "make_widget"]
    assert [d.name for d in index.search("widg")] == ["make_widget"]


def test_imports_and_imported_definitions(project: Path, make_index) -> None:
    index = make_index(project)
    index.build()
    app = str(project / "app.py")
    assert [(i.module, i.names) for i in index.imports_of(app)] == [
        ("os", ()), ("pkg.models", ("User", "make_user")), ("pkg", ("util",))]
    imported = {(d.name, os.path.basename(d.path)) for d in index.imported_definitions(app)}
    assert {("User", "models.py"), ("make_user", "models.py"), ("helper", "util.py")} <= imported
    assert ("greet", "models.py") not in imported  # methods come with their class, not as imports
    ts = {(d.name, os.path.basename(d.path)) for d in index.imported_definitions(str(project / "web/api.ts"))}
    assert ts == {("render", "view.ts")}


def test_scopes_at_a_position(project: Path, make_index) -> None:
    index = make_index(project)
    index.build()
    models = str(project / "pkg/models.py")
    assert [(s.name, s.kind) for s in index.scopes_at(models, 12, 8)] == [("User", "class"), ("greet", "method")]
    assert [s.name for s in index.scopes_at(models, 2, 0)] == []
    assert index.scopes_at(models, 15, 0)[0].signature == "def make_user(name):"


def test_restart_parses_only_changed_files(project: Path, make_index) -> None:
    first = make_index(project)
    first.build()
    first.close()
    util = project / "pkg/util.py"
    util.write_text("def helper():\n    return 1\n\n\ndef renamed():\n    return 2\n")
    os.utime(util, ns=(util.stat().st_atime_ns, util.stat().st_mtime_ns + 5_000_000))
    (project / "web/view.ts").unlink()
    (project / "pkg/new.py").write_text("NEW = 1\n")
    second = make_index(project)
    assert second.lookup("make_widget")  # what the cache held, before any build
    stats = second.build()
    assert (stats.parsed, stats.unchanged, stats.removed) == (2, 4, 1)
    assert second.lookup("make_widget") == [] and second.lookup("renamed") and second.lookup("NEW")
    assert second.lookup("render") == []
    again = second.build()
    assert (again.parsed, again.unchanged) == (0, 6)


def test_gitignore_and_excludes(tmp_path: Path, make_index) -> None:
    root = write_tree(tmp_path / "repo", {
        ".gitignore": "build/\n*.gen.py\n!keep.gen.py\n",
        "src/.gitignore": "local_*.py\n",
        "src/a.py": "def a(): pass\n",
        "src/local_secret.py": "def secret(): pass\n",
        "build/out.py": "def built(): pass\n",
        "x.gen.py": "def gen(): pass\n",
        "keep.gen.py": "def kept(): pass\n",
        "node_modules/lib/index.js": "function dep() {}\n",
        ".hidden/h.py": "def hidden(): pass\n",
        "docs/d.py": "def doc_example(): pass\n",
    })
    index = make_index(root, exclude=["docs/"])
    index.build()
    names = {d.name for d in index.lookup_prefix("", 100)}
    assert names == {"a", "kept"}


def test_skips_generated_and_oversized_files(tmp_path: Path, make_index) -> None:
    root = write_tree(tmp_path / "w", {
        "ok.py": "def fine(): pass\n",
        "api_pb2.py": "def generated_by_protoc(): pass\n",
        "gen.go": "// Code generated by stringer. DO NOT EDIT.\npackage x\nfunc Gen() {}\n",
        "big.py": "def big(): pass\n" + "#" * 3000,
    })
    index = make_index(root, max_file_kb=2)
    stats = index.build()
    assert stats.skipped == {"generated": 2, "too-large": 1}
    assert {d.name for d in index.lookup_prefix("", 100)} == {"fine"}
    assert index.build().parsed == 0  # skipped files are remembered, not re-read


def test_refresh_and_open_document_symbols(project: Path, make_index) -> None:
    from ghostls.indexing.languages import spec_for
    from ghostls.indexing.worker import symbols_of

    index = make_index(project)
    index.build()
    util = project / "pkg/util.py"
    util.write_text("def fresh():\n    pass\n")
    index.refresh([str(util)])
    assert [d.name for d in index.definitions_in(str(util))] == ["fresh"]
    util.unlink()
    index.refresh([str(util)])
    assert index.definitions_in(str(util)) == []
    models = str(project / "pkg/models.py")
    index.update_symbols(models, symbols_of(b"def unsaved(): pass\n", spec_for("python"), models), "python")
    assert [d.name for d in index.definitions_in(models)] == ["unsaved"]
    assert index.build().parsed == 1  # the buffer's version is marked dirty: the disk is read again


def test_cold_build_in_a_process_pool(project: Path, make_index, monkeypatch) -> None:
    monkeypatch.setattr(workspace_module, "POOL_MIN_FILES", 1)
    monkeypatch.setattr(workspace_module, "BATCH_BYTES", 200)
    seen: list[tuple[int, int]] = []
    index = make_index(project, workers=2)
    stats = index.build(lambda done, total, message: seen.append((done, total)))
    assert stats.workers == 2 and stats.parsed == 6
    assert seen[0] == (0, 6) and seen[-1] == (6, 6) and len(seen) > 2
    assert index.lookup("User")[0].doc == "A user."


def test_database_lives_in_the_cache_per_workspace(tmp_path: Path, isolated_cache: Path) -> None:
    a, b = database_path(str(tmp_path / "one")), database_path(str(tmp_path / "two"))
    assert a.parent == isolated_cache / "index" and a != b
    assert database_path(str(tmp_path / "one"), str(tmp_path / "elsewhere")).parent == tmp_path / "elsewhere" / "index"


def test_a_new_size_limit_rechecks_skipped_and_indexed_files(tmp_path: Path, make_index) -> None:
    root = write_tree(tmp_path / "w", {"big.py": "def big(): pass\n" + "#" * 3000, "small.py": "def small(): pass\n"})
    first = make_index(root, max_file_kb=2)
    assert first.build().skipped == {"too-large": 1}
    first.close()
    larger = make_index(root, max_file_kb=8)
    assert larger.build().parsed == 1 and larger.lookup("big")
    larger.close()
    smaller = make_index(root, max_file_kb=2)
    assert smaller.build().skipped == {"too-large": 1} and smaller.lookup("big") == []


def test_workers_that_cannot_start_leave_the_work_to_this_process(project: Path, make_index, monkeypatch,
                                                                   caplog) -> None:
    import multiprocessing.spawn

    # Worker processes that cannot start: the interpreter they would run does not exist.
    monkeypatch.setattr(multiprocessing.spawn, "_python_exe", os.fsencode(project / "no-such-python"))
    monkeypatch.setattr(workspace_module, "POOL_MIN_FILES", 1)
    index = make_index(project, workers=2)
    stats = index.build()
    assert stats.parsed == 6 and index.lookup("make_user")
    assert "index worker processes failed" in caplog.text


def test_go_package_imports_resolve_to_the_files_of_that_directory(tmp_path: Path, make_index) -> None:
    root = tmp_path / "goproj"
    write_tree(root, {
        "go.mod": "module example.com/shop\n",
        "headers/parse.go": ("package headers\n\n// ParseHeader reads one header line.\n"
                             "func ParseHeader(line string) (string, string) {\n\treturn line, line\n}\n"),
        "headers/sub/other.go": "package sub\n\nfunc Elsewhere() {}\n",
        "main.go": ('package main\n\nimport "example.com/shop/headers"\n\n'
                    'func main() {\n\theaders.ParseHeader("a: b")\n}\n'),
    })
    index = make_index(root)
    index.build()
    imported = {(d.name, os.path.relpath(d.path, root)) for d in index.imported_definitions(str(root / "main.go"))}
    assert ("ParseHeader", "headers/parse.go") in imported
    assert all(not path.startswith("headers/sub") for _, path in imported)
