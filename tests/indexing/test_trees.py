"""Open-document trees: incremental re-parse equals a fresh parse, whatever the edits."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ghostls.documents import UTF8, UTF16, DocumentStore
from ghostls.indexing.languages import parse, spec_for
from ghostls.indexing.trees import DocumentTrees, _splice

BASE = '''import os

class Greeter:
    """Says hello."""

    def greet(self, name: str) -> str:
        return f"héllo {name} 😀"


def main():
    g = Greeter()
    print(g.greet("世界"))
'''

SNIPPETS = ["x", "\n", "    ", "def f():\n    pass\n", "(", ")", '"', "😀", "é", "class A:\n", "# c\n", "", "\r\n"]


def _sexp(tree) -> str:
    return str(tree.root_node)


@st.composite
def edits(draw):
    """Random (start, end, text) edits in client positions, some past the line end or the file end."""
    out = []
    for _ in range(draw(st.integers(1, 8))):
        line = draw(st.integers(0, 14))
        char = draw(st.integers(0, 40))
        end_line = line + draw(st.integers(0, 2))
        end_char = draw(st.integers(0, 40))
        text = draw(st.sampled_from(SNIPPETS) | st.text(alphabet="abc ():\n\"'é😀", max_size=6))
        out.append(((line, char), (end_line, end_char), text))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=edits(), encoding=st.sampled_from([UTF16, UTF8]), read_between=st.booleans())
def test_incremental_parse_equals_fresh_parse(changes, encoding, read_between) -> None:
    store = DocumentStore(encoding)
    trees = DocumentTrees(store)
    doc = store.open("file:///w/m.py", BASE, 1, "python")
    spec = spec_for("python")
    for start, end, text in changes:
        doc.apply_change(text, start, end)
        if read_between:
            trees.get(doc.uri)
    got = trees.get(doc.uri)
    assert got is not None
    tree, got_spec = got
    assert got_spec is spec
    assert _sexp(tree) == _sexp(parse(doc.text, spec))  # type: ignore[arg-type]
    assert tree.root_node.end_byte == len(doc.text.encode("utf-8"))
    assert trees.source(doc.uri) == doc.text.encode("utf-8")


def test_full_replacement_and_close_drop_the_tree() -> None:
    store = DocumentStore()
    trees = DocumentTrees(store)
    doc = store.open("file:///w/a.go", "package a\n", 1, "go")
    doc.apply_change("package b\nfunc F() {}\n")
    tree, spec = trees.get(doc.uri)  # type: ignore[misc]
    assert spec.name == "go" and "function_declaration" in str(tree.root_node)
    store.close(doc.uri)
    assert trees.get(doc.uri) is None and doc.uri not in trees
    assert not doc.listeners


def test_unknown_languages_get_no_tree() -> None:
    store = DocumentStore()
    trees = DocumentTrees(store)
    store.open("file:///w/notes.txt", "hello", 1, "plaintext")
    assert trees.get("file:///w/notes.txt") is None


def test_language_id_wins_over_the_file_name() -> None:
    store = DocumentStore()
    trees = DocumentTrees(store)
    store.open("untitled:Untitled-1", "const x = 1;", 1, "typescript")
    assert trees.get("untitled:Untitled-1")[1].name == "typescript"  # type: ignore[index]


@given(source=st.binary(max_size=64), data=st.data(), inserted=st.binary(max_size=8))
def test_splice_equals_slicing_and_concatenation(source: bytes, data, inserted: bytes) -> None:
    start = data.draw(st.integers(0, len(source)))
    end = data.draw(st.integers(start, len(source)))
    spliced = _splice(source, start, end, inserted)
    assert type(spliced) is bytes
    assert spliced == source[:start] + inserted + source[end:]


def test_bytes_handed_out_do_not_change_with_later_edits() -> None:
    store = DocumentStore()
    trees = DocumentTrees(store)
    doc = store.open("file:///w/m.py", "a = 1\n", 1, "python")
    _, _, before = trees.snapshot(doc.uri)  # type: ignore[misc]
    doc.apply_change("é", (0, 4), (0, 5))
    assert before == b"a = 1\n"
    assert trees.source(doc.uri) == "a = é\n".encode()
