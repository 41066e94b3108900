"""Golden tables: a document with a cursor (█), a canned model output, the expected suggestion."""

from __future__ import annotations

import pytest

from ghostls.completion.postprocess import (
    Draft,
    absorb_closers,
    balance_brackets,
    cut_after_terminal,
    cut_block_end,
    cut_line,
    cut_line_limit,
    cut_repeated_lines,
    cut_suffix_duplicate,
    is_complete,
    postprocess_draft,
    reject_syntax_errors,
    trim_whitespace,
)
from tests.completion.table import apply, context_at

# (id, language, document, model output, expected text, expected characters replaced after cursor)
PIPELINE = [
    ("py-line-drops-auto-closed-paren", "python",
     "x = compute(█)\n", "a, b)\nprint(x)\n", "a, b", 0),
    ("py-line-range-absorbs-paren", "python",
     "y = max(█)\n", "a, b) + 1\nprint(y)\n", "a, b) + 1", 1),
    ("py-block-after-def-stops-at-suffix", "python",
     "def add(a, b):█\n\nprint(add(1, 2))\n", "\n    return a + b\n\nprint(add(1, 2))\n",
     "\n    return a + b", 0),
    ("py-blank-line-ends-at-next-def", "python",
     "def f(xs):\n    total = 0\n    █\n",
     "for x in xs:\n        total += x\n    return total\n\ndef g():\n    pass\n",
     "for x in xs:\n        total += x\n    return total", 0),
    ("py-suffix-line-not-repeated", "python",
     "def f(xs):\n    total = 0\n    █\n    return total\n",
     "for x in xs:\n        total += x\n    return total\n", "for x in xs:\n        total += x", 0),
    ("py-repeated-line-dropped", "python",
     "def f():\n    █", "print('hello world')\n    print('hello world')\n    print('hello world')\n",
     "print('hello world')", 0),
    ("py-dead-code-after-return", "python",
     "def f(x):\n    █", "return x * 2\n    return x * 3\n", "return x * 2", 0),
    ("py-unclosed-call-closed", "python",
     "result = █\n", "compute(a, b\n", "compute(a, b)", 0),
    ("py-mismatched-closer-cut", "python",
     "x = foo(a█\n", ", b]\n", ", b", 0),
    ("py-whitespace-only-is-nothing", "python",
     "def f():\n    █", "   \n\n", "", 0),
    ("py-insert-lines-before-code", "python",
     "def f(xs):\n█    return total\n", "    total = sum(xs)\n    return total\n",
     "    total = sum(xs)\n", 0),
    ("js-block-brace-already-closed", "javascript",
     "function add(a, b) {█}\n", "\n  return a + b;\n}\n\nconsole.log(add(1, 2));\n",
     "\n  return a + b;\n", 0),
    ("js-block-brace-added-when-missing", "javascript",
     "function add(a, b) {█\n\nconsole.log(1);\n", "\n  return a + b;\n}\n\nfunction sub(a, b) {\n",
     "\n  return a + b;\n}", 0),
    ("ts-string-quote-absorbed", "typescript",
     "const s: string = \"hel█\";\n", "lo world\" + name;\n", "lo world\" + name", 1),
    ("ts-string-rest-of-line-dropped", "typescript",
     "const s: string = \"hel█\";\n", "lo world\";\n", "lo world", 0),
    ("go-empty-if-body", "go",
     "func main() {\n\tif err != nil {\n\t\t█\n\t}\n}\n", "return err\n\t}\n\treturn nil\n}\n",
     "return err", 0),
    ("rust-line-closers-dropped", "rust",
     "fn main() {\n    let v = vec![1, 2█];\n}\n", ", 3];\n    let w = 1;\n", ", 3", 0),
    ("java-method-body", "java",
     "class A {\n    int f(int x) {█\n    }\n}\n", "\n        return x + 1;\n    }\n\n    int g() {\n",
     "\n        return x + 1;", 0),
]


@pytest.mark.parametrize("name,language,doc,output,expected,end", PIPELINE, ids=[row[0] for row in PIPELINE])
def test_pipeline_table(name: str, language: str, doc: str, output: str, expected: str, end: int) -> None:
    ctx = context_at(doc, language)
    draft = postprocess_draft(output, ctx)
    assert (draft.text, draft.end) == (expected, end)
    if expected:  # the accepted document repeats nothing and keeps the code after the cursor
        accepted = apply(doc, draft.text, draft.end)
        plain = doc.replace("█", "")
        assert accepted.endswith(plain[ctx.request.offset + end:])


# -- cuts: (document, raw output, expected kept text or None for "no cut") ---------------------
CUTS = [
    (cut_line, "python", "x = █", "foo()\nbar()\n", "foo()"),
    (cut_line, "python", "def f():\n    █", "a = 1\nb = 2\n", None),  # block: not a line cut
    (cut_suffix_duplicate, "python", "a = 1\n█\nb = 2\nc = 3\n", "z = 0\n\nb = 2\nc = 3\n", "z = 0\n"),
    (cut_suffix_duplicate, "python", "a = 1\n█\nb = 2\nc = 3\n", "z = 0\nb = 9\n", None),
    (cut_suffix_duplicate, "rust", "fn f() {\n    █\n}\n", "g();\n}\n", "g();\n"),
    (cut_block_end, "python", "if x:\n    █\ny = 1\n", "a()\n    b()\nz()\n", "a()\n    b()\n"),
    (cut_block_end, "javascript", "if (x) {\n  █\n}\n", "a();\n}\n", "a();\n"),
    (cut_line_limit, "python", "def f():\n    █", "a\n    b\n    c\n    d\n", "a\n    b"),
    (cut_repeated_lines, "python", "def f():\n    █", "x = compute()\n    x = compute()\n", "x = compute()\n"),
    (cut_repeated_lines, "javascript", "f(() => {\n  █", "}\n}\n", None),  # closers may repeat
    (cut_after_terminal, "python", "def f():\n    █", "return 1\n    x = 2\n", "return 1\n"),
    (cut_after_terminal, "python", "def f():\n    █", "return (1 +\n        2)\n", None),
]


@pytest.mark.parametrize("cut,language,doc,output,kept", CUTS,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CUTS)])
def test_cut_table(cut, language: str, doc: str, output: str, kept: str | None) -> None:
    max_lines = 2 if cut is cut_line_limit else 8
    pos = cut(output, context_at(doc, language, max_lines))
    assert (None if pos is None else output[:pos]) == kept


# -- fixes: (fix, language, document, draft text, expected (text, end)) -------------------------
FIXES = [
    (balance_brackets, "python", "x = █\n", "[1, 2", ("[1, 2]", 0)),
    (balance_brackets, "python", "x = █\n", "foo(a,", ("", 0)),  # unfinished: cut back to nothing
    (balance_brackets, "python", "x = (█)\n", "1 + 2", ("1 + 2", 0)),
    (balance_brackets, "javascript", "f(█);\n", "a], b", ("a", 0)),
    (balance_brackets, "python", "x = █\n", "f(\"(\")", ("f(\"(\")", 0)),  # brackets in strings
    (balance_brackets, "python", "def f():\n    █", "x = [\n        1,\n        2", ("", 0)),
    (absorb_closers, "python", "f(█)\n", "a)", ("a", 0)),
    (absorb_closers, "python", "f(█)\n", "a) + 1", ("a) + 1", 1)),
    (absorb_closers, "javascript", "call(█, b);\n", "a)", ("a", 0)),
    (absorb_closers, "go", "s := []int{█}\n", "1, 2}", ("1, 2", 0)),
    (trim_whitespace, "python", "def f():\n    █", "x = 1   \n\n\n", ("x = 1", 0)),
    (trim_whitespace, "python", "def f():\n█    return x\n", "    x = 1\n", ("    x = 1\n", 0)),
    (reject_syntax_errors, "python", "x = 1\n█\ny = 2\n", "if if if", ("", 0)),
    (reject_syntax_errors, "python", "x = 1\n█\ny = 2\n", "z = 3\nfor in in", ("z = 3", 0)),
    (reject_syntax_errors, "python", "x = 1\n█\ny = 2\n", "z = [i for i in range(3)]",
     ("z = [i for i in range(3)]", 0)),
    (reject_syntax_errors, "rust", "fn main() {\n    █\n}\n", "let x = ;", ("", 0)),
    (reject_syntax_errors, "go", "func main() {\n\t█\n}\n", "x := 1", ("x := 1", 0)),
]


@pytest.mark.parametrize("fix,language,doc,text,expected", FIXES,
                         ids=[f"{f[0].__name__}-{i}" for i, f in enumerate(FIXES)])
def test_fix_table(fix, language: str, doc: str, text: str, expected: tuple[str, int]) -> None:
    draft = fix(Draft(text), context_at(doc, language))
    assert (draft.text, draft.end) == expected


def test_syntax_check_can_be_turned_off() -> None:
    from dataclasses import replace

    ctx = replace(context_at("x = 1\n█\ny = 2\n"), check_syntax=False)
    assert reject_syntax_errors(Draft("if if if"), ctx).text == "if if if"


# -- streaming early stop ------------------------------------------------------------------
@pytest.mark.parametrize("doc,partial,complete", [
    ("x = █", "foo(", False),
    ("x = █", "foo()\n", True),
    ("def f():\n    █", "a = 1\n    b", False),
    ("def f():\n    █\n\ndef g():\n    pass\n", "a = 1\n\ndef g():\n", True),  # joined the suffix
    ("def f():\n    █", "a = 1\n\ndef h():\n", True),  # left the definition
    ("def f():\n    █", "\n".join(f"x{i} = {i}" for i in range(8)) + "\n", True),  # line limit
])
def test_is_complete(doc: str, partial: str, complete: bool) -> None:
    assert is_complete(partial, context_at(doc)) is complete


def test_empty_body_then_more_code_joins_suffix() -> None:
    """Filling an empty body and going on until the code below is one suggestion (HumanEval's
    multi-line spans); without the join, the body alone."""
    doc = "def f(xs):\n    for x in xs:\n        █\n    return xs\n"
    ctx = context_at(doc)
    assert ctx.shape.reason == "empty body"
    joined = postprocess_draft("print(x)\n    xs.sort()\n    return xs\n", ctx)
    assert joined.text == "print(x)\n    xs.sort()"
    alone = postprocess_draft("print(x)\n    print('done')\n", ctx)
    assert alone.text == "print(x)"


def test_a_blind_model_joining_the_code_below_gets_the_body_only() -> None:
    """A prefix-only model did not see the code below: text that happens to rewrite it after
    the block end is its guess of what follows, not a planned fill, so the block end holds (and
    streaming stops there)."""
    from dataclasses import replace

    doc = "def f(xs):\n    for x in xs:\n        █\n    return xs\n"
    blind = replace(context_at(doc), sees_suffix=False)
    text = "print(x)\n    xs.sort()\n    return xs\n"
    assert postprocess_draft(text, blind).text == "print(x)"
    assert is_complete("print(x)\n    xs.sort()\n", blind)
    assert not is_complete("print(x)\n    xs.sort()\n", context_at(doc))  # FIM: it may still join
