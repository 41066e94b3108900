"""The engine's pure stages as tables: code out of model replies, re-indentation, the parse
check, documentation conventions, and packing into a budget with a real tokenizer-free counter."""

from __future__ import annotations

import pytest

from ghostls.explain.actions import ACTIONS, instruction
from ghostls.explain.extract import check_only_docs_added, extract_code, reindent, replacement_for
from ghostls.explain.gather import scopes_and_imports, worth_showing
from ghostls.explain.prompt import explain_messages, pack
from ghostls.explain.selection import ExplainError, SelectionRequest, check, looks_binary, whole_lines
from ghostls.indexing.languages import spec_named
from ghostls.indexing.model import Definition
from ghostls.providers.base import ApproximateCounter, ChatMessage, RenderedPrompt

EXTRACT = [
    ("prose then a fence", "Sure! Here it is:\n```python\nx = 1\n```\nDone.", "x = 1"),
    ("no fence at all", "x = 1\ny = 2\n", "x = 1\ny = 2"),
    ("largest closed block wins", "```\na\n```\ntext\n```python\nb = 1\nc = 2\n```", "b = 1\nc = 2"),
    ("unclosed fence (cut at max tokens)", "```python\ndef f():\n    return 1\n", "def f():\n    return 1"),
    ("four backticks around three", "````md\n```\ninner\n```\n````", "```\ninner\n```"),
    ("tilde fence", "~~~go\nfunc f() {}\n~~~", "func f() {}"),
]


@pytest.mark.parametrize(("reply", "code"), [(r, c) for _, r, c in EXTRACT], ids=[n for n, _, _ in EXTRACT])
def test_extract_code(reply: str, code: str) -> None:
    assert extract_code(reply) == code


REINDENT = [
    ("dedented reply", "def f():\n    return 1", "    def f():\n        return 2", "    def f():\n        return 1"),
    ("already indented", "    x = 1\n    y = 2", "    x = 0", "    x = 1\n    y = 2"),
    ("blank lines stay empty", "a = 1\n\n  \nb = 2", "\tz", "\ta = 1\n\n\n\tb = 2"),
    ("top level", "  x = 1", "x = 0", "x = 1"),
]


@pytest.mark.parametrize(("code", "original", "expected"), [(c, o, e) for _, c, o, e in REINDENT],
                         ids=[n for n, *_ in REINDENT])
def test_reindent(code: str, original: str, expected: str) -> None:
    assert reindent(code, original) == expected


def test_replacement_is_refused_when_it_breaks_the_file_or_changes_nothing() -> None:
    python = spec_named("python")
    assert python is not None
    text = "class A:\n    def f(self):\n        return 1\n"
    start, end = whole_lines(text, text.index("def"), text.index("1") + 1)
    original = text[start:end]
    good = replacement_for("```python\ndef f(self):\n    return 2\n```", original, python, text, start, end, "Fix")
    assert good == "    def f(self):\n        return 2"
    with pytest.raises(ExplainError, match="does not parse as python"):
        replacement_for("```python\ndef f(self:\n```", original, python, text, start, end, "Fix")
    with pytest.raises(ExplainError, match="no change"):
        replacement_for(f"```\n{original}\n```", original, python, text, start, end, "Fix")
    with pytest.raises(ExplainError, match="no code"):
        replacement_for("```python\n```", original, python, text, start, end, "Fix")
    # a file that already had errors: the rewrite may keep them, not add more
    broken = text + "def g(:\n"
    assert replacement_for("def f(self):\n    return 3", original, python, broken, start, end, "Fix")


def test_selection_checks() -> None:
    text = "x = 1\n\ny = 2\n"
    check(SelectionRequest(text, 0, 5, "a.py", "python"))
    for start, end in ((0, 0), (5, 7)):
        with pytest.raises(ExplainError, match="nothing is selected"):
            check(SelectionRequest(text, start, end, "a.py", "python"))
    with pytest.raises(ExplainError, match="binary"):
        check(SelectionRequest("ab\x00cd", 0, 4, "a.bin", "plaintext"))
    with pytest.raises(ExplainError, match="not supported for plaintext"):
        check(SelectionRequest("some notes", 0, 4, "n.txt", "plaintext"), needs_grammar=True)
    assert looks_binary("\x01\x02\x03\x04" * 10) and not looks_binary("tab\tand\nnewline\x1b[0m")
    assert whole_lines("ab\ncd\nef", 4, 6) == (3, 5)  # a selection ending at column 0 stops above it


@pytest.mark.parametrize(("language", "words"), [("python", "PEP 257"), ("go", "Go doc comment"),
                                                 ("rust", "///"), ("java", "Javadoc"), ("typescript", "TSDoc"),
                                                 ("zig", "usual documentation comments")])
def test_docstring_follows_the_language(language: str, words: str) -> None:
    assert words in instruction(ACTIONS["docstring"], language, [])


def test_fix_lists_the_diagnostics() -> None:
    assert "- line 3: undefined name 'x'" in instruction(ACTIONS["fix"], "python", ["line 3: undefined name 'x'"])
    assert "no diagnostics" in instruction(ACTIONS["fix"], "python", [])


def test_scopes_and_imports_of_a_nested_selection() -> None:
    text = ("import os\nfrom a import b\n\nclass Shape:\n    \"\"\"A shape.\"\"\"\n\n"
            "    def area(self,\n             scale):\n        w = self.w * scale\n        return w * b(os.sep)\n")
    start = text.index("w = self")
    pieces = scopes_and_imports(SelectionRequest(text, start, len(text), "/w/s.py", "python"))
    assert [(p.kind, p.name, p.text) for p in pieces] == [
        ("scope", "Shape", "class Shape:"),
        ("scope", "area", "    def area(self,\n             scale):"),
        ("imports", "", "import os\nfrom a import b")]


class CountingProvider:
    """Just enough of a provider for packing: chat rendering as plain text, approximate counts."""

    name = "test"
    context_window = 400
    counter = ApproximateCounter()

    def render_chat(self, messages: list[ChatMessage]) -> RenderedPrompt:
        text = "\n".join(m.content for m in messages)
        return RenderedPrompt(text=text, messages=tuple(messages), token_count=self.counter.count(text))


def test_pack_keeps_the_lines_that_fit_and_says_so() -> None:
    text = "".join(f"line_{i} = {i}\n" for i in range(300))
    request = SelectionRequest(text, 0, len(text), "/w/big.py", "python")
    packed = pack(CountingProvider(), request, [], 300,  # type: ignore[arg-type]
                  lambda shown, kept, lines: explain_messages(request, shown, kept, lines, lambda p: p))
    assert packed is not None and packed.truncated and packed.prompt.token_count <= 300
    shown = text[packed.shown[0]:packed.shown[1]]
    assert shown.startswith("line_0 = 0\n") and shown.endswith("\n") and len(shown) < len(text)
    longer = text[:text.index("\n", packed.shown[1]) + 1]  # one more line would not fit
    assert CountingProvider().render_chat(explain_messages(request, longer, [], (0, 0), lambda p: p)).token_count > 300
    assert pack(CountingProvider(), request, [], 300,  # type: ignore[arg-type]
                lambda s, k, li: explain_messages(request, s, k, li, lambda p: p), allow_truncation=False) is None


def test_add_docstring_may_not_change_the_code() -> None:
    python, go = spec_named("python"), spec_named("go")
    assert python is not None and go is not None
    original = "def f(x):\n    return x + 1"
    check_only_docs_added(python, original, 'def f(x):\n    """Add one."""\n    # simple\n    return x + 1', "Doc")
    with pytest.raises(ExplainError, match="also changed the code"):
        check_only_docs_added(python, original, 'def f(x):\n    """Add one."""\n    return x + 2', "Doc")
    check_only_docs_added(go, "func F() int {\n\treturn 1\n}", "// F returns one.\nfunc F() int {\n\treturn 1\n}", "D")


@pytest.mark.parametrize(("kind", "container", "name", "shown"), [
    ("function", "", "polygon_area", True), ("method", "Report", "describe", True), ("class", "", "Report", True),
    ("constant", "", "MAX_SIZE", True), ("field", "Query", "path", False), ("variable", "Query", "lines", False),
    ("method", "Report", "__call__", False)])
def test_which_definitions_are_worth_showing(kind: str, container: str, name: str, shown: bool) -> None:
    d = Definition(name=name, kind=kind, path="/w/a.py", language="python", start_line=0, start_col=0, end_line=1,
                   end_col=0, container=container)
    assert worth_showing(d) is shown
