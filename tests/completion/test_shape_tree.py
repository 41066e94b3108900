"""Golden tests: line or block, decided from the syntax tree (``█`` marks the cursor).

Each row: language, document, then the expected mode, floor and reason.  Every row here must be
decided by the tree (``Shape.decided_by``); the text rules are only the fallback.
"""

from __future__ import annotations

import pytest

from ghostls.completion.shape import TREE, decide_shape, text_shape
from tests.completion.table import request_at

LINE = ("line", -1)

# Inside an expression, a comment or a string, or with code before the cursor: the rest of the line.
LINE_CASES = [
    ("python", "x = compute(█\n", "inside brackets"),
    ("python", "x = foo(a,\n    █\n", "inside brackets"),  # continuation line of an open call
    ("python", "if (a and\n        █\n", "inside brackets"),  # open condition
    ("python", "y = table[key█\n", "inside brackets"),  # open subscript
    ("python", "total = price * █\n", "mid-statement"),
    ("python", "# note: █\n", "in a comment"),
    ("python", "x = 1  # the █ count\n", "in a comment"),
    ("python", 'def f():\n    """Doc.\n    █\n    """\n', "in a string"),  # a docstring's blank line
    ("python", 'name = "abc█\n', "in a string"),  # not closed yet
    ("javascript", "foo(a,\n  █\n", "inside brackets"),
    ("javascript", "if (x &&█) {\n}\n", "inside brackets"),
    ("javascript", "// todo █\n", "in a comment"),
    ("javascript", "const s = `line\n█\n`;\n", "in a string"),  # template literal over lines
    ("typescript", "function f(a: number,\n           █\n", "inside brackets"),
    ("typescript", "/**\n * Adds █\n */\nfunction add() {}\n", "in a comment"),
    ("go", "func main() {\n\tfmt.Println(a,█\n}\n", "inside brackets"),
    ("go", "func main() {\n\tx := 1 +█\n}\n", "mid-statement"),
    ("rust", "fn main() {\n    let v = vec![1, 2█];\n}\n", "mid-statement"),
    ("rust", "fn main() {\n    let s = \"a█\";\n}\n", "in a string"),
    ("java", "class A {\n  void f() {\n    if (a &&█\n  }\n}\n", "inside brackets"),
    ("java", "class A {\n  /* note █ */\n}\n", "in a comment"),
    ("c", "int main(void) {\n    while (x < █\n}\n", "inside brackets"),
    ("c", "int main(void) {\n    int n = 3█;\n}\n", "mid-statement"),
    ("cpp", "int f() {\n  return g(a[i█]);\n}\n", "inside brackets"),
]

# Right after a body opener, or in an empty body: a block ending at the opener's indentation.
# (language, document, floor, reason, outer_floor)
BLOCK_CASES = [
    ("python", "def f(a):█\n", 0, "after a block opener", 0),
    ("python", "class A:\n    def f(self):█\n", 4, "after a block opener", 4),
    ("python", "if x:\n    pass\nelse:█\n", 0, "after a block opener", 0),
    ("python", "def f(a,\n      b):█\n", 0, "after a block opener", 0),  # multi-line header: the def's line
    ("python", "def f(xs):\n    for x in xs:\n        █\n    return xs\n", 4, "empty body", 0),
    ("python", "def f(x):\n    if x:\n        █\n    else:\n        pass\n", 4, "empty body", 0),
    ("python", "def f():\n    while True:\n        █\n    return 1\n", 4, "empty body", 0),
    ("python", "def f(p):\n    with open(p) as h:\n        █\n    return h\n", 4, "empty body", 0),
    ("python", "def f():\n    try:\n        █\n    except E:\n        pass\n", 4, "empty body", 0),
    ("python", "def f():\n    if a:\n        pass\n    else:\n        █\n    return 2\n", 4, "empty body", 0),
    ("python", "def f():  # todo\n    █\nx = 1\n", 0, "blank line in a body", 0),
    ("javascript", "function f() {█}\n", 0, "after a block opener", 0),
    ("javascript", "if (x) {█}\n", 0, "after a block opener", 0),
    ("javascript", "it('adds', () => {█});\n", 0, "after a block opener", 0),
    ("javascript", "const f = () => {\n  █\n};\n", 0, "empty body", 0),
    ("javascript", "function f(a) {\n  for (const x of a) {\n    █\n  }\n  return a;\n}\n", 2, "empty body", 0),
    ("javascript", "switch (x) {\n  case 1:█\n}\n", 2, "after a block opener", 0),
    ("typescript", "class A {\n  m(): void {█}\n}\n", 2, "after a block opener", 2),
    ("typescript", "interface I {\n  █\n}\n", 0, "empty body", 0),
    ("go", "func main() {\n\tif err != nil {\n\t\t█\n\t}\n\treturn\n}\n", 4, "empty body", 0),
    ("go", "func main() {█\n", 0, "after a block opener", 0),
    ("go", "func main() {\n\tswitch x {\n\t█\n\t}\n}\n", 4, "empty body", 0),
    ("go", "type S struct {\n\t█\n}\n", 0, "empty body", 0),
    ("rust", "fn main() {\n    match x {█}\n}\n", 4, "after a block opener", 0),
    ("rust", "impl Foo {\n    █\n}\n", 0, "empty body", 0),
    ("rust", "struct S {\n    █\n}\n", 0, "empty body", 0),
    ("java", "class A {\n  void f() {█}\n}\n", 2, "after a block opener", 2),
    ("java", "class A {\n  void f() {\n    for (int i = 0; i < n; i++) {\n      █\n    }\n  }\n}\n", 4,
     "empty body", 2),
    ("c", "int main(void) {\n    █\n}\n", 0, "empty body", 0),
    ("c", "struct s {\n    █\n};\n", 0, "empty body", 0),
    ("cpp", "namespace n {\nclass A {\n  void f() {█}\n};\n}\n", 2, "after a block opener", 2),
]

# A blank line in a body that has statements: the enclosing definition is the limit.
# (language, document, floor, reason)
BODY_CASES = [
    ("python", "class A:\n    def f(self):\n        x = 1\n        █\n", 4, "blank line in a body"),
    ("python", "def f(xs):\n    total = 0\n    █\n    return total\n", 0, "blank line in a body"),
    ("python", "def f(a):\n    █\n", 0, "blank line in a body"),  # nothing after: the user writes on
    ("python", "for i in range(3):\n    print(i)\n    █\n", 0, "blank line in a body"),  # script: outermost
    ("python", "import os\n\n█\n\ndef g():\n    pass\n", -1, "top level"),
    ("javascript", "function f() {\n  a();\n  █\n  b();\n}\n", 0, "blank line in a body"),
    ("javascript", "function f() {\n  items.forEach((x) => {\n    a(x);\n    █\n  });\n}\n", 2,
     "blank line in a body"),  # the callback is the enclosing function
    ("go", "func main() {\n\tx := 1\n\t█\n}\n", 0, "blank line in a body"),
    ("rust", "fn f() -> i32 {\n    let x = 1;\n    █\n}\n", 0, "blank line in a body"),
    ("java", "class A {\n  int x;\n  █\n}\n", 0, "blank line in a body"),
    ("c", "int f(void) {\n    int a = 1;\n    █\n    return a;\n}\n", 0, "blank line in a body"),
    ("cpp", "█\n", -1, "top level"),
]


def _decide(doc: str, language: str):
    shape = decide_shape(request_at(doc, language), 8)
    assert shape.decided_by == TREE, f"the text rules decided ({shape.reason})"
    return shape


@pytest.mark.parametrize("language,doc,reason", LINE_CASES)
def test_line_from_the_tree(language: str, doc: str, reason: str) -> None:
    shape = _decide(doc, language)
    assert (shape.mode, shape.max_lines, shape.reason) == ("line", 1, reason)


@pytest.mark.parametrize("language,doc,floor,reason,outer_floor", BLOCK_CASES)
def test_block_after_an_opener_or_in_an_empty_body(language: str, doc: str, floor: int, reason: str,
                                                   outer_floor: int) -> None:
    shape = _decide(doc, language)
    assert (shape.mode, shape.max_lines, shape.floor, shape.reason, shape.outer_floor) == (
        "block", 8, floor, reason, outer_floor)


@pytest.mark.parametrize("language,doc,floor,reason", BODY_CASES)
def test_block_on_a_blank_line_of_a_body(language: str, doc: str, floor: int, reason: str) -> None:
    shape = _decide(doc, language)
    assert (shape.mode, shape.floor, shape.outer_floor, shape.reason) == ("block", floor, floor, reason)


# Where the indentation/bracket text rules get it wrong and the tree gets it right.
@pytest.mark.parametrize("language,doc,mode_floor", [
    ("python", "x = foo(a,\n    █\n)\ny = 2\n", LINE),  # inside an open call, not a new statement
    ("python", 'd = {"a":█\n', LINE),  # a ``:`` in a dict literal opens no block
    ("python", 'd = {"a":█}\n', LINE),
    ("python", "x = a[1:█\n", LINE),  # nor one in a slice
    ("python", "f = lambda x:█\n", LINE),  # nor a lambda's
    ("python", 'def f():\n    """Doc.\n    █\n', LINE),  # inside a docstring still being written
    ("python", "def f(a,\n      b):█\n", ("block", 0)),  # the header starts at the def, not at ``b):``
    ("javascript", "it('adds', () => {█});\n", ("block", 0)),  # closers after the brace
    ("javascript", "foo(a,\n  █\n", LINE),
    ("go", "func main() {\n\tswitch x {\n\t█\n\t}\n}\n", ("block", 4)),  # the switch's own braces
])
def test_the_tree_corrects_the_text_rules(language: str, doc: str, mode_floor: tuple[str, int]) -> None:
    request = request_at(doc, language)
    tree, text = decide_shape(request, 8), text_shape(request, 8)
    got = (tree.mode, tree.floor if tree.mode == "block" else -1)
    assert tree.decided_by == TREE and got == mode_floor
    assert (text.mode, text.floor if text.mode == "block" else -1) != mode_floor


@pytest.mark.parametrize("language,doc", [
    ("javascript", "const o = {█\n"),  # an object literal over several lines: the text rules say
    ("javascript", "const f = (x) =>█\n"),  # an arrow body may start on the next line
    ("python", "def g(x):\n    █return x\n"),  # code after the cursor on a blank prefix
    ("python", "x = [\n    1,\n    █\n]\n"),  # a list literal's blank line
])
def test_undecided_by_the_tree_falls_back_to_the_text_rules(language: str, doc: str) -> None:
    request = request_at(doc, language)
    shape = decide_shape(request, 8)
    assert shape.decided_by == "text" and shape == text_shape(request, 8)


@pytest.mark.parametrize("language,path", [("plaintext", "notes.txt"), ("lua", "init.lua"), ("", "")])
def test_no_grammar_falls_back_to_the_text_rules(language: str, path: str) -> None:
    from ghostls.completion.request import CompletionRequest

    for doc in ("function f()█\n", "if x then\n  █\nend\n", "call(a,█\n"):
        offset = doc.index("█")
        request = CompletionRequest(text=doc.replace("█", ""), offset=offset, path=path, language=language)
        shape = decide_shape(request, 8)
        assert shape.decided_by == "text" and shape == text_shape(request, 8)


@pytest.mark.parametrize("language,doc,mode_floor", [
    # A broken function above does not spoil the one being written.
    ("python", "def broken(:\n    return )\n\ndef g(x):\n    if x:\n        █\n    return x\n", ("block", 4)),
    ("python", "def broken(:\n    return )\n\ndef g(x):\n    y = h(x,█\n", LINE),
    ("javascript", "function broken( {\n  return ;\n}\n\nfunction g() {\n  if (x) {█}\n}\n", ("block", 2)),
    ("go", "func broken( {\n}\n\nfunc g() {\n\tfor {\n\t\t█\n\t}\n}\n", ("block", 4)),
    # Unclosed bodies at the end of the file (the user is typing them).
    ("rust", "fn main() {\n    if x {█\n", ("block", 4)),
])
def test_syntax_errors_elsewhere_still_give_a_sensible_shape(language: str, doc: str,
                                                             mode_floor: tuple[str, int]) -> None:
    shape = _decide(doc, language)
    assert (shape.mode, shape.floor if shape.mode == "block" else -1) == mode_floor


def test_a_tree_that_cannot_tell_leaves_it_to_the_text_rules() -> None:
    """Two unclosed bodies at the end of a C file parse as one flat ERROR: which definition
    encloses the cursor is unknown, so the text rules decide (the function is the limit)."""
    shape = decide_shape(request_at("int main(void) {\n    for (;;) {\n        █\n", "c"), 8)
    assert (shape.decided_by, shape.mode, shape.floor) == ("text", "block", 0)


def test_python_window_does_not_start_inside_a_docstring() -> None:
    """Text at column 0 inside a module docstring is no item start: the window must not begin
    there (the quotes would pair up wrongly and code would read as a string)."""
    doc = ('"""Module.\n\nExample:\n' + "text at column 0\n" * 5 + '"""\n\n'
           "def f(x):\n    if x:█\n        return 1\n")
    shape = _decide(doc, "python")
    assert (shape.mode, shape.floor, shape.reason) == ("block", 4, "after a block opener")


def test_a_docstring_closed_below_the_window_is_still_a_string() -> None:
    """The window stops a few dozen lines below the cursor; brackets in the docstring's text
    must not read as code when its closing quotes lie beyond."""
    doc = 'def f():\n    """Usage (see below):\n    █\n' + "    text (more\n" * 80 + '    """\n'
    shape = _decide(doc, "python")
    assert (shape.mode, shape.reason) == ("line", "in a string")


def test_deep_in_a_long_class_the_window_starts_at_the_method() -> None:
    methods = "".join(f"    def m{i}(self):\n        return {i}\n\n" for i in range(250))
    in_method = "class A:\n" + methods + "    def last(self):\n        x = 1\n        █\n        return x\n"
    shape = _decide(in_method, "python")
    assert (shape.mode, shape.floor, shape.reason) == ("block", 4, "blank line in a body")
    # Between methods the class that encloses the cursor is above the window: the text rules say.
    between = "class A:\n" + methods + "    █\n    def last(self):\n        pass\n"
    assert decide_shape(request_at(between), 8).decided_by == "text"


def test_the_shape_and_the_syntax_check_share_one_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    from ghostls.completion import syntax
    from ghostls.indexing import languages

    calls = []
    real = languages.parse
    monkeypatch.setattr(languages, "parse", lambda text, spec, *a: calls.append(text) or real(text, spec, *a))
    request = request_at("def f(xs):\n    total = 0\n    █\n    return total\n")
    decide_shape(request, 8)
    assert syntax.error_delta(request, "total += 1") == 0
    assert len(calls) == 2  # the window once, and once with the suggestion


@pytest.mark.parametrize("doc,floor,outer_floor", [
    # A nested def earlier in the function is a sibling of the cursor's code, not its definition.
    ("def outer(n):\n    def helper(p):\n        return p\n    while True:\n        if n == 0:\n            █\n"
     "        n -= 1\n", 8, 0),
    # Docstring lines that look like decorators or class headers do not start the window.
    ('def eat(number):\n    """Eat.\n\n    @number : integer\n    class of food\n    """\n    if number:\n'
     "        █\n    return 1\n", 4, 0),
])
def test_python_window_starts_at_the_enclosing_definition(doc: str, floor: int, outer_floor: int) -> None:
    shape = _decide(doc, "python")
    assert (shape.mode, shape.floor, shape.outer_floor, shape.reason) == ("block", floor, outer_floor, "empty body")
