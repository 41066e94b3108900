"""Definitions of names used near the cursor, resolved across files through the file's imports
and a real workspace index, in Python, TypeScript and Go."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghostls.completion.request import CompletionRequest
from ghostls.context.corpus import WindowCorpus
from ghostls.context.engine import ContextEngine
from ghostls.context.service import standard_slots
from ghostls.context.sources import DefinitionSource
from ghostls.indexing.workspace import WorkspaceIndex
from ghostls.settings import ContextSettings

NOISE = "".join(f"def helper_{i}(x):\n    return x + {i}\n\n\n" for i in range(6))

PYTHON = {
    "pkg/__init__.py": "",
    "pkg/headers.py": ('"""Header parsing."""\n\n\ndef parse_header(line: str) -> tuple[str, str]:\n'
                       '    """Split one header line into name and value."""\n'
                       '    name, _, value = line.partition(":")\n    return name.strip(), value.strip()\n'),
    "pkg/noise.py": NOISE + "def parse_header(x):\n    return 'a decoy nobody imports'\n",
    "pkg/main.py": ("from pkg.headers import parse_header\n\n\ndef read(lines):\n    out = {}\n"
                    "    for line in lines:\n        @@\n    return out\n"),
}

TYPESCRIPT = {
    "src/headers.ts": ("/** Split one header line into name and value. */\n"
                       "export function parseHeader(line: string): [string, string] {\n"
                       "  const i = line.indexOf(':');\n"
                       "  return [line.slice(0, i).trim(), line.slice(i + 1).trim()];\n}\n"),
    "src/other.ts": "export function parseHeader(x: number): number {\n  return x; // a decoy\n}\n",
    "src/main.ts": ("import { parseHeader } from './headers';\n\nexport function read(lines: string[]) {\n"
                    "  const out: Record<string, string> = {};\n  for (const line of lines) {\n    @@\n  }\n"
                    "  return out;\n}\n"),
}

GO = {
    "go.mod": "module example.com/w\n\ngo 1.22\n",
    "headers/headers.go": ("package headers\n\nimport \"strings\"\n\n// ParseHeader splits one header line into name "
                           "and value.\nfunc ParseHeader(line string) (string, string) {\n"
                           "\tname, value, _ := strings.Cut(line, \":\")\n"
                           "\treturn strings.TrimSpace(name), strings.TrimSpace(value)\n}\n"),
    "other/other.go": "package other\n\nfunc ParseHeader(x int) int {\n\treturn x // a decoy\n}\n",
    "main.go": ("package main\n\nimport \"example.com/w/headers\"\n\nfunc read(lines []string) map[string]string {\n"
                "\tout := map[string]string{}\n\tfor _, line := range lines {\n"
                "\t\tname, value := headers.ParseHeader(line)\n"
                "\t\tout[name] = value\n\t}\n\t@@\n\treturn out\n}\n"),
}


def workspace(tmp_path: Path, files: dict[str, str]) -> tuple[Path, WorkspaceIndex]:
    root = tmp_path / "ws"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    index = WorkspaceIndex(str(root), cache_dir=str(tmp_path / "cache"), workers=1)
    index.build()
    return root, index


def request(root: Path, rel: str, language: str) -> CompletionRequest:
    text = (root / rel).read_text()
    offset = text.index("@@")
    text = text.replace("@@", "")
    return CompletionRequest(text, offset, path=str(root / rel), language=language, uri=(root / rel).as_uri())


def engine_for(index: WorkspaceIndex) -> ContextEngine:
    corpus = WindowCorpus()
    return ContextEngine(standard_slots(lambda: index, corpus, None, None),
                         lambda: ContextSettings(definitions_deadline_ms=5000, scopes_deadline_ms=5000), lambda: None)


@pytest.mark.parametrize(("files", "rel", "language", "defining", "needle"), [
    (PYTHON, "pkg/main.py", "python", "pkg/headers.py", "def parse_header(line: str) -> tuple[str, str]:"),
    (TYPESCRIPT, "src/main.ts", "typescript", "src/headers.ts", "export function parseHeader(line: string)"),
    (GO, "main.go", "go", "headers/headers.go", "func ParseHeader(line string) (string, string) {"),
], ids=["python", "typescript", "go"])
def test_the_imported_definition_is_found_and_the_decoy_is_not(tmp_path, files, rel, language, defining, needle):
    root, index = workspace(tmp_path, files)
    try:
        req = request(root, rel, language)
        got = DefinitionSource(lambda: index)(engine_for(index).query(req, 64))
        assert got, "no definitions found"
        first = got[0]
        assert (first.path, first.source) == (str(root / defining), "definition")
        assert needle in first.text
        assert all("decoy" not in s.text for s in got)
        # Through the whole engine it is packed into the context, within the budget.
        snippets = engine_for(index)(req, 200)
        assert any(s.path == str(root / defining) and needle in s.text for s in snippets)
    finally:
        index.close()


def test_long_definitions_show_signature_and_docstring(tmp_path):
    body = "".join(f"    step_{i} = {i}\n" for i in range(60))
    files = {"lib.py": f'def transform(data):\n    """Turn data into steps."""\n{body}    return data\n',
             "app.py": "from lib import transform\n\nresult = transform(x)\n@@\n"}
    root, index = workspace(tmp_path, files)
    try:
        got = DefinitionSource(lambda: index)(engine_for(index).query(request(root, "app.py", "python"), 64))
        assert got[0].text == 'def transform(data):\n    """Turn data into steps."""'
        assert (got[0].start_line, got[0].end_line) == (0, 1)
    finally:
        index.close()


def test_classes_show_their_members_signatures_when_long(tmp_path):
    methods = "".join(f"    def op_{i}(self, value):\n        return value * {i}\n\n" for i in range(20))
    files = {"shapes.py": f"class Shape:\n    \"\"\"A shape.\"\"\"\n\n{methods}",
             "app.py": "from shapes import Shape\n\ns = Shape()\n@@\n"}
    root, index = workspace(tmp_path, files)
    try:
        got = DefinitionSource(lambda: index)(engine_for(index).query(request(root, "app.py", "python"), 64))
        text = got[0].text
        assert text.startswith('class Shape:\n    """A shape."""\n    def op_0(self, value):')
        assert "return value" not in text and len(text.split("\n")) <= ContextSettings().max_snippet_lines
    finally:
        index.close()


def test_names_defined_in_the_file_itself_are_not_fetched_from_elsewhere(tmp_path):
    files = {"other.py": "def total(xs):\n    return sum(xs)\n",
             "app.py": "def total(xs):\n    return len(xs)\n\nprint(total([1]))\n@@\n"}
    root, index = workspace(tmp_path, files)
    try:
        got = DefinitionSource(lambda: index)(engine_for(index).query(request(root, "app.py", "python"), 64))
        assert all(s.path != str(root / "other.py") for s in got)
    finally:
        index.close()


def test_the_similar_code_corpus_follows_the_index(tmp_path):
    from ghostls.context.service import CorpusFeeder
    from ghostls.indexing.workspace import Workspaces

    root, index = workspace(tmp_path, {"a.py": "def alpha():\n    return 1\n", "b.py": "def beta():\n    return 2\n"})
    try:
        workspaces = Workspaces()
        workspaces.add(index)
        corpus = WindowCorpus()
        feeder = CorpusFeeder(corpus, lambda: workspaces)
        assert feeder.sync(workspaces) == 2 and sorted(corpus.paths()) == [str(root / "a.py"), str(root / "b.py")]
        assert feeder.sync(workspaces) == 0  # nothing changed, nothing re-read
        (root / "a.py").write_text("def alpha_renamed():\n    return 10\n")
        (root / "b.py").unlink()
        index.refresh([str(root / "a.py"), str(root / "b.py")])
        assert feeder.sync(workspaces) == 2 and corpus.paths() == [str(root / "a.py")]
        assert "alpha_renamed" in corpus.bm25().windows[0].text
    finally:
        index.close()
