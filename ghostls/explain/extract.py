"""The replacement code out of a model's reply: the fenced block, re-indented to the selection,
and checked to parse no worse than the original (tree-sitter)."""

from __future__ import annotations

import re
import textwrap

from ghostls.completion.syntax import count_errors
from ghostls.explain.selection import ExplainError
from ghostls.indexing.languages import LanguageSpec, parse

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<ticks>`{3,}|~{3,})[ \t]*(?P<lang>[\w+#.-]*)[^\n]*\n", re.MULTILINE)


def code_blocks(reply: str) -> list[tuple[str, str, bool]]:
    """(language tag, code, closed) for each fenced block; an unclosed last block runs to the end."""
    out: list[tuple[str, str, bool]] = []
    pos = 0
    while True:
        m = _FENCE.search(reply, pos)
        if m is None:
            return out
        ticks = m.group("ticks")
        close = re.compile(rf"^[ \t]*{re.escape(ticks[0])}{{{len(ticks)},}}[ \t]*$", re.MULTILINE)
        c = close.search(reply, m.end())
        if c is None:
            out.append((m.group("lang"), reply[m.end():], False))
            return out
        out.append((m.group("lang"), reply[m.end():c.start()], True))
        pos = c.end()


def extract_code(reply: str) -> str:
    """The code the model proposes: its largest fenced block, or the whole reply when it used none."""
    blocks = code_blocks(reply)
    if blocks:
        closed = [b for b in blocks if b[2]] or blocks
        return max(closed, key=lambda b: len(b[1]))[1].rstrip("\n")
    return reply.strip("\n")


def reindent(code: str, original: str) -> str:
    """``code`` indented like ``original`` (models often dedent what they rewrite)."""
    base = _indent_of(original)
    body = textwrap.dedent(code.expandtabs(8) if "\t" in code and "\t" not in base else code)
    return "\n".join(base + line if line.strip() else "" for line in body.split("\n"))


def _indent_of(text: str) -> str:
    for line in text.split("\n"):
        if line.strip():
            return line[:len(line) - len(line.lstrip())]
    return ""


def check_parses(spec: LanguageSpec, text: str, start: int, end: int, replacement: str) -> int:
    """Syntax errors the replacement adds to the document (0 or fewer is fine)."""
    after = text[:start] + replacement + text[end:]
    return count_errors(parse(after, spec).root_node) - count_errors(parse(text, spec).root_node)


def replacement_for(reply: str, original: str, spec: LanguageSpec, text: str, start: int, end: int,
                    action_title: str) -> str:
    """The checked replacement for ``text[start:end]`` (whole lines) or :class:`ExplainError`."""
    code = extract_code(reply)
    if not code.strip():
        raise ExplainError(f"{action_title}: the model returned no code; nothing was changed.", kind="model")
    new = reindent(code, original)
    if new.strip() == original.strip():
        raise ExplainError(f"{action_title}: the model proposed no change.", kind="model")
    added = check_parses(spec, text, start, end, new)
    if added > 0:
        raise ExplainError(f"{action_title}: the model's code does not parse as {spec.name} ({added} new syntax "
                           "error(s)); nothing was changed. Try again or rephrase the selection.", kind="model")
    return new


def code_tokens(spec: LanguageSpec, text: str) -> list[bytes]:
    """The code's tokens without comments and docstrings (what "Add docstring" must not change)."""
    out: list[bytes] = []
    stack = [parse(text, spec).root_node]
    while stack:
        node = stack.pop()
        if "comment" in node.type or node.type in spec.comment_types or _is_docstring(node):
            continue
        if node.child_count == 0:
            out.append(node.text or b"")
        else:
            stack.extend(reversed(node.children))
    return out


def _is_docstring(node: object) -> bool:
    """A statement that is only a string (Python docstrings, and bare strings used as comments)."""
    named = getattr(node, "named_children", [])
    return getattr(node, "type", "") == "expression_statement" and len(named) == 1 and named[0].type in (
        "string", "concatenated_string")


def check_only_docs_added(spec: LanguageSpec, original: str, new: str, label: str) -> None:
    if code_tokens(spec, textwrap.dedent(original)) != code_tokens(spec, textwrap.dedent(new)):
        raise ExplainError(f"{label}: the model also changed the code, not only its documentation; nothing was "
                           "changed. Try again, or use Refactor to change code.", kind="model")
