"""Each context source on its own: scopes and imports (Python, TypeScript, Go), lexical
similarity (BM25 and Jaccard), and recently edited ranges."""

from __future__ import annotations

from ghostls.completion.request import CompletionRequest
from ghostls.context.corpus import WindowCorpus
from ghostls.context.engine import ContextEngine
from ghostls.context.recent import RecentEdits
from ghostls.context.sources import ContextQuery, JaccardSource, RecentEditSource, ScopeSource, SimilarSource
from ghostls.context.windows import split_windows
from ghostls.documents import DocumentStore
from ghostls.server.convert import uri_to_path
from ghostls.settings import ContextSettings

FILLER = 40


def query_at(text: str, marker: str, path: str, language: str, window: tuple[int, int] | None = None) -> ContextQuery:
    offset = text.index(marker)
    text = text.replace(marker, "")
    request = CompletionRequest(text, offset, path=path, language=language, uri="file://" + path, version=1)
    engine = ContextEngine([], lambda: ContextSettings(), lambda: None)
    q = engine.query(request, 60)
    return q if window is None else ContextQuery(request, q.lines, q.cursor_line, window)


PYTHON = ("import os\nfrom email import errors\n\n\nclass Parser:\n    \"\"\"Parses.\"\"\"\n\n"
          "    def parse(self, data,\n              strict=False):\n"
          + "".join(f"        step_{i} = data[{i}]\n" for i in range(FILLER)) + "        @@\n")
TYPESCRIPT = ("import { readFile } from './io';\nimport * as path from 'path';\n\nexport class Parser {\n"
              "  parse(data: string): Header {\n"
              + "".join(f"    const step{i} = data[{i}];\n" for i in range(FILLER)) + "    @@\n  }\n}\n")
GO = ("package parse\n\nimport (\n\t\"strings\"\n\t\"example.com/w/util\"\n)\n\n"
      "func (p *Parser) Parse(data []byte) Header {\n"
      + "".join(f"\tstep{i} := data[{i}]\n" for i in range(FILLER)) + "\t@@\n}\n")


def texts(snippets):
    return [s.text for s in snippets]


def test_python_imports_and_enclosing_scopes_outside_the_window():
    got = ScopeSource()(query_at(PYTHON, "@@", "/w/parser.py", "python"))
    assert texts(got) == ["import os\nfrom email import errors", "class Parser:",
                          "    def parse(self, data,\n              strict=False):"]
    assert [(s.start_line, s.end_line) for s in got] == [(0, 1), (4, 4), (7, 8)]
    assert {s.source for s in got} == {"scope"} and {s.path for s in got} == {"/w/parser.py"}


def test_typescript_scopes():
    got = ScopeSource()(query_at(TYPESCRIPT, "@@", "/w/parser.ts", "typescript"))
    assert texts(got) == ["import { readFile } from './io';\nimport * as path from 'path';",
                          "export class Parser {", "  parse(data: string): Header {"]


def test_go_scopes():
    got = ScopeSource()(query_at(GO, "@@", "/w/parse.go", "go"))
    assert texts(got) == ["package parse\nimport (\n\t\"strings\"\n\t\"example.com/w/util\"\n)",
                          "func (p *Parser) Parse(data []byte) Header {"]


def test_python_cursor_back_at_class_level_leaves_the_method():
    text = PYTHON.replace("        @@\n", "        done = True\n\n    @@")
    got = ScopeSource()(query_at(text, "@@", "/w/parser.py", "python"))
    assert texts(got)[1:] == ["class Parser:"]


def test_scopes_the_window_shows_are_not_repeated():
    q = query_at(PYTHON, "@@", "/w/parser.py", "python", window=(0, 60))
    assert ScopeSource()(q) == []


def test_unknown_languages_give_no_scopes():
    assert ScopeSource()(query_at("some text\n@@", "@@", "/w/notes.txt", "plaintext")) == []


HEADERS = "def parse_header(line):\n    name, _, value = line.partition(':')\n    return name.strip(), value\n"
UNRELATED = "\n".join(f"def render_{i}(page):\n    return page.html()\n" for i in range(8))


def test_bm25_finds_the_window_that_shares_the_rare_identifiers():
    corpus = WindowCorpus()
    corpus.set_file("/w/headers.py", HEADERS)
    corpus.set_file("/w/render.py", UNRELATED)
    corpus.rebuild()
    q = query_at("for line in raw_lines:\n    name, value = parse_header(line)\n    @@", "@@", "/w/main.py", "python")
    got = SimilarSource(corpus)(q)
    assert got and got[0].path == "/w/headers.py" and got[0].source == "similar"
    assert all(s.path != "/w/main.py" for s in got)


def test_corpus_rebuilds_in_the_background_and_serves_the_old_index_meanwhile(monkeypatch):
    import threading

    from ghostls.context import corpus as corpus_module

    corpus = WindowCorpus()
    corpus.set_file("/w/a.py", HEADERS)
    corpus.rebuild()
    first = corpus.bm25()
    gate = threading.Event()  # holds the background build until the test has queried

    class GatedBm25(corpus_module.Bm25Index):
        def __init__(self, windows):
            gate.wait(30)
            super().__init__(windows)

    monkeypatch.setattr(corpus_module, "Bm25Index", GatedBm25)
    corpus.set_file("/w/b.py", UNRELATED)
    assert corpus.bm25() is first  # the rebuild has started; the query did not wait for it
    gate.set()
    corpus.rebuild()
    assert corpus.bm25() is not first and len(corpus.bm25().windows) > len(first.windows)


def test_windows_cover_the_file_in_overlapping_runs():
    text = "\n".join(f"line_{i} = {i}" for i in range(23))
    spans = [(w.start_line, w.end_line) for w in split_windows("/w/x.py", text, 10)]
    assert spans == [(0, 9), (5, 14), (10, 19), (13, 22)]


def test_jaccard_over_open_documents_skips_the_current_one():
    store = DocumentStore()
    store.open("file:///w/headers.py", HEADERS, 1, "python")
    store.open("file:///w/render.py", UNRELATED, 1, "python")
    store.open("file:///w/main.py", "x = parse_header(line)\n", 1, "python")
    source = JaccardSource(lambda: list(store), uri_to_path)
    q = query_at("name, value = parse_header(line)\n@@", "@@", "/w/main.py", "python")
    got = source(q)
    assert got[0].path == "/w/headers.py" and got[0].source == "similar-open"
    assert 0 < got[0].score <= 1 and all(s.path != "/w/main.py" for s in got)


def test_recent_edits_in_other_documents_newest_first():
    store, recent = DocumentStore(), RecentEdits()
    store.on_open.append(recent.watch)
    a = store.open("file:///w/a.py", "\n".join(f"a{i} = {i}" for i in range(30)), 1, "python")
    b = store.open("file:///w/b.py", "\n".join(f"b{i} = {i}" for i in range(30)), 1, "python")
    cur = store.open("file:///w/main.py", "x = 1\n", 1, "python")
    a.apply_change("alpha = 'edited'", (10, 0), (10, 6))
    b.apply_change("beta = 'edited'\nbeta2 = 2", (20, 0), (20, 6))
    a.apply_change("gamma = 3\n", (0, 0), (0, 0))  # a line above the first edit moves it down
    cur.apply_change("y", (0, 0), (0, 1))
    source = RecentEditSource(recent, store.get, uri_to_path, around=1)
    got = source(query_at("x = 1\n@@", "@@", "/w/main.py", "python"))
    assert [(s.path, s.start_line, s.end_line) for s in got] == [
        ("/w/a.py", 0, 2), ("/w/b.py", 19, 22), ("/w/a.py", 10, 12)]
    assert "alpha = 'edited'" in got[2].text and "beta2 = 2" in got[1].text
    assert got[0].score > got[1].score > got[2].score
