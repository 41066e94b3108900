"""Syntax-tree checks for suggestions, on a window of the document around the cursor.

Parsing a 5,000-line file per keystroke would cost tens of milliseconds, so the checks parse
only a window (:func:`cursor_window`): from the start of the top-level item around the cursor
(in Python a ``def``/``class``/decorator line, since text at column 0 inside a docstring is no
item and would turn the quotes inside out) to ``READ_LINES_BELOW`` lines below the cursor.

* :func:`cursor_syntax` reads where the cursor is (a comment, a string, an open bracket, right
  after a body opener, an empty or a filled body) for the shape decision;
* :func:`error_delta` parses the window once without and once with the suggestion; errors
  caused by cutting the window cancel out.

Both read the same parse of the window without the suggestion (parsed once per request).
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from typing import Any

from ghostls.completion.request import CompletionRequest

log = logging.getLogger(__name__)

WINDOW_LINES = 400
READ_LINES_BELOW = 20  # lines below the cursor in the window
# A def/class/decorator line (strict enough that docstring prose such as "@param x" or "class of
# objects" does not pass for one).
_PY_DEFINITION = r"(?:(?:async[ \t]+)?def[ \t]+\w+[ \t]*[(\[]|class[ \t]+\w+[ \t]*[:(\[]|@[\w.]+[ \t]*(?:\(|$))"
_PY_HEADER = re.compile(_PY_DEFINITION)
_PY_HEADER_LINE = re.compile(r"^([ \t]*)" + _PY_DEFINITION, re.MULTILINE)
_SPANS = (4_000, 16_000, WINDOW_LINES * 120)  # characters searched back for a header, growing
_CONTINUATIONS = ("else", "elif", "except", "finally", "catch", "case", "default", "}", ")", "]",
                  "#", "//", "/*", "*", "@")


def _language(request: CompletionRequest) -> Any:
    try:
        from ghostls.indexing.languages import spec_for
    except ImportError:  # pragma: no cover - the indexing package is part of ghostls
        return None
    try:
        return spec_for(request.language, request.path)
    except Exception:  # a broken grammar must not break completion
        log.exception("no grammar for %s", request.path or request.language)
        return None


def indent_width(line: str) -> int:
    """Width of a line's indentation (a tab counts 4)."""
    return len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip(" "))


def _starts_item(line: str) -> bool:
    return bool(line) and not line[0].isspace() and not line.startswith(_CONTINUATIONS)


def _line_at(text: str, start: int) -> str:
    nl = text.find("\n", start)
    return text[start: nl if nl != -1 else len(text)]


def window(text: str, offset: int) -> tuple[int, int]:
    """Offsets of the top-level item around ``offset``: [start, end)."""
    start = text.rfind("\n", 0, offset) + 1  # the cursor line's start
    for _ in range(WINDOW_LINES):
        if start == 0 or _starts_item(_line_at(text, start)):
            break
        start = text.rfind("\n", 0, start - 1) + 1
    end = text.find("\n", offset)
    for _ in range(WINDOW_LINES):
        if end == -1:
            return start, len(text)
        nxt = text.find("\n", end + 1)
        if _starts_item(_line_at(text, end + 1)):
            return start, end + 1
        end = nxt
    return start, end + 1 if end != -1 else len(text)


_recent = threading.local()


def _parse_once(src: bytes, spec: Any) -> Any:
    """Parse ``src``, or hand back the tree of the last call when it parsed the same bytes: the
    shape decision and each syntax check of a request parse the same window."""
    from ghostls.indexing.languages import parse

    last = getattr(_recent, "parse", None)
    if last is not None and last[0] is spec and last[1] == src:
        return last[2]
    tree = parse(src, spec)
    _recent.parse = (spec, src, tree)
    return tree


def count_errors(node: Any) -> int:
    if node.is_error or node.is_missing:
        return 1
    if not node.has_error:
        return 0
    return sum(count_errors(child) for child in node.children)


def error_delta(request: CompletionRequest, text: str, replace_end: int = 0) -> int | None:
    """Errors the suggestion adds to the window around the cursor (negative: it removes some);
    None when the language has no grammar."""
    spec = _language(request)
    if spec is None:
        return None
    from ghostls.indexing.languages import parse

    doc = request.text
    start, end = cursor_window(doc, request.offset, spec.name == "python") or window(doc, request.offset)
    end = max(end, request.offset + replace_end)
    before = doc[start:end].encode("utf-8", "surrogatepass")
    after = doc[start:request.offset] + text + doc[request.offset + replace_end:end]
    try:
        return count_errors(parse(after, spec).root_node) - count_errors(_parse_once(before, spec).root_node)
    except Exception:
        log.exception("parsing failed for %s", request.path or request.language)
        return None


# -- where the cursor is -------------------------------------------------------------------
# What :func:`cursor_syntax` can say about the cursor position.
COMMENT = "comment"  # inside a comment
STRING = "string"  # inside a string literal (a docstring too)
EXPRESSION = "expression"  # inside an open ``(``/``[``: arguments, a condition, a subscript
STATEMENT = "statement"  # code before the cursor on its line, none of the above
OPENER = "opener"  # right after a body opener (``def f():``, ``if (x) {``) at the end of its line
EMPTY_BODY = "empty body"  # on a blank line of a body that has no statements yet
BODY = "body"  # on a blank line of a body that has statements (or at top level)

_CLOSER_OF = {"(": ")", "[": "]", "{": "}", "${": "}", "#{": "}", "string_start": "string_end"}
_QUOTES = ('"', "'", "`")  # bare quote tokens (unterminated strings in ERROR nodes)
_STRING_OPENERS = ("string_start", *_QUOTES)
# Collection literals: written over several lines they are neither one expression nor a body,
# so the text rules decide (the tree still says "line" for code before the cursor in them).
_LITERALS = frozenset({
    "list", "tuple", "dictionary", "set", "array", "object", "object_pattern", "array_pattern", "object_type",
    "literal_value", "initializer_list", "array_expression", "field_initializer_list", "array_initializer",
    "element_value_array_initializer", "use_list", "token_tree", "enumerator_list",
})
# After one of these tokens, a ``{`` in an ERROR node opens a literal rather than a body.
_LITERAL_LEADS = frozenset({"=", "(", "[", ",", ":", "return", "?", "||", "&&", "??", "yield", "await"})
# Functions, classes and their kin: the enclosing one bounds a suggestion (``Shape.outer_floor``).
_DEFINITIONS = frozenset({
    "function_definition", "class_definition",  # Python, C, C++
    "function_declaration", "function_expression", "generator_function_declaration", "generator_function",
    "arrow_function", "method_definition", "class_declaration", "class", "abstract_class_declaration",
    "interface_declaration", "enum_declaration", "internal_module",  # JavaScript, TypeScript
    "method_declaration", "func_literal", "type_declaration",  # Go
    "function_item", "impl_item", "trait_item", "mod_item", "struct_item", "enum_item", "union_item",
    "closure_expression",  # Rust
    "constructor_declaration", "record_declaration", "annotation_type_declaration", "lambda_expression",  # Java
    "struct_specifier", "class_specifier", "union_specifier", "enum_specifier", "namespace_definition",  # C, C++
})
# Python statements and clauses that own an indented ``block``.
_PY_OWNERS = frozenset({
    "function_definition", "class_definition", "if_statement", "elif_clause", "else_clause", "for_statement",
    "while_statement", "with_statement", "try_statement", "except_clause", "except_group_clause",
    "finally_clause", "match_statement", "case_clause",
})
_PY_HEADERS = frozenset({"def", "class", "if", "elif", "else", "for", "while", "with", "try", "except",
                         "finally", "async", "match", "case"})
_TRAILING_CLOSERS = set(")]};, ")


@dataclass(frozen=True)
class CursorSyntax:
    kind: str  # one of the constants above
    # OPENER / EMPTY_BODY: indentation of the line that opens the body (its end is the block end).
    header_indent: int = -1
    # Indentation of the enclosing definition (else of the outermost construct whose body holds
    # the cursor); -1 at top level.
    definition_indent: int = -1


def cursor_syntax(request: CompletionRequest) -> CursorSyntax | None:
    """What the syntax tree of the window around the cursor says about the cursor position;
    None without a grammar, when parsing fails or when the tree cannot tell."""
    spec = _language(request)
    if spec is None:
        return None
    doc = request.text
    indented = spec.name == "python"
    found = cursor_window(doc, request.offset, indented)
    if found is None:
        return None
    start, end = found
    src = doc[start:end].encode("utf-8", "surrogatepass")
    cursor = len(doc[start:request.offset].encode("utf-8", "surrogatepass"))
    partial = doc[start:start + 1] in (" ", "\t")  # a Python window deep in a long class
    try:
        return _Reader(src, cursor, request, indented, partial).read(_parse_once(src, spec).root_node)
    except Exception:  # the text rules still decide: a bug here must not cost the suggestion
        log.exception("reading the syntax tree failed for %s", request.path or request.language)
        return None


def cursor_window(text: str, offset: int, indented: bool) -> tuple[int, int] | None:
    """The part of the document the checks parse: from the start of the top-level item around
    the cursor (Python: the definition that encloses the cursor's code, see
    :func:`_python_start`) to at most ``READ_LINES_BELOW`` lines below it (what follows matters
    little, and the parse costs by the line).  None where Python code has no such start."""
    line_start = text.rfind("\n", 0, offset) + 1
    start = _python_start(text, line_start) if indented else _item_start(text, line_start)
    if start is None:
        return None
    starts = _starts_python_item if indented else _starts_item
    end = text.find("\n", offset)
    for _ in range(READ_LINES_BELOW):
        if end == -1 or starts(_line_at(text, end + 1)):
            break
        end = text.find("\n", end + 1)
    return start, len(text) if end == -1 else end + 1


def _item_start(text: str, line_start: int) -> int:
    start = line_start
    for _ in range(WINDOW_LINES):
        if start == 0 or _starts_item(_line_at(text, start)):
            break
        start = text.rfind("\n", 0, start - 1) + 1
    return start


def _starts_python_item(line: str) -> bool:
    return bool(_PY_HEADER.match(line))


def _python_start(text: str, line_start: int) -> int | None:
    """The nearest ``def``/``class``/decorator line above that encloses the cursor's code
    (indented less, and no line between is indented as little), or any at column 0; else the
    file's start; else None.

    Searched backwards in growing spans with regexes (the nearest is most often close; a
    line-by-line walk costs too much), within ``WINDOW_LINES``."""
    line = _line_at(text, line_start)
    if _PY_HEADER_LINE.match(line):  # on a header: it starts the window
        return line_start
    code = line_start
    while code > 0 and not line.strip():
        code = text.rfind("\n", 0, code - 1) + 1
        line = _line_at(text, code)
    code_width = indent_width(line)
    low = max(0, line_start - WINDOW_LINES * 120)
    for span in _SPANS:
        headers = list(_PY_HEADER_LINE.finditer(text, max(low, line_start - span), line_start))
        for match in reversed(headers):
            width = indent_width(match.group(1))
            if width == 0 or (width < code_width and not _dedents_to(text, match.end(), line_start, width)):
                return match.start() if text.count("\n", match.start(), line_start) <= WINDOW_LINES else None
        if line_start - span <= low:
            break
    return 0 if low == 0 and text.count("\n", 0, line_start) <= WINDOW_LINES else None


def _dedents_to(text: str, start: int, end: int, width: int) -> bool:
    """Does a line in ``text[start:end]`` start with code at indentation ``width`` or less?"""
    pattern = _DEDENTS.get(width)
    if pattern is None:
        pattern = _DEDENTS[width] = re.compile(rf"^[ \t]{{0,{width}}}[^ \t\n]", re.MULTILINE)
    return pattern.search(text, text.find("\n", start) + 1, end) is not None


_DEDENTS: dict[int, re.Pattern[str]] = {}


def _is_comment(node: Any) -> bool:
    return "comment" in node.type


def _is_string(node: Any) -> bool:
    kind = node.type
    return ("string" in kind and kind not in ("string_start", "string_end")) or kind in (
        "char_literal", "character_literal", "text_block")


def _first_child_after(node: Any, byte: int) -> Any:
    """The first child that ends after ``byte`` (``Node.first_child_for_byte`` crashes when
    there is none), by bisection: blocks can have many children."""
    lo, hi = 0, node.child_count
    while lo < hi:
        mid = (lo + hi) // 2
        if node.child(mid).end_byte > byte:
            hi = mid
        else:
            lo = mid + 1
    return node.child(lo) if lo < node.child_count else None


def _token_before(node: Any) -> Any:
    """The last real token before ``node`` in the tree (comments and missing tokens passed over)."""
    while node is not None:
        before = node.prev_sibling
        while before is not None and (before.is_extra or before.is_missing):
            before = before.prev_sibling
        if before is not None:
            while before.child_count:
                last = before.child(before.child_count - 1)
                while last is not None and (last.is_extra or last.is_missing):
                    last = last.prev_sibling
                if last is None:
                    break
                before = last
            return before
        node = node.parent
    return None


def _only_closer_after(body: Any, brace: Any) -> bool:
    """Nothing but comments (and the closing brace) after ``brace`` in ``body``."""
    for child in body.children:
        if child.start_byte >= brace.end_byte and not (child.is_extra or child.is_missing):
            return child.type == "}"
    return True


class _Reader:
    """One reading of one tree at one cursor (byte offsets into ``src``)."""

    def __init__(self, src: bytes, cursor: int, request: CompletionRequest, indented: bool, partial: bool) -> None:
        self.src = src
        self.cursor = cursor
        self.line_prefix = request.line_prefix
        self.mid_line = bool(self.line_prefix.strip())
        self.rest = request.line_suffix.strip()
        self.indented = indented  # bodies by indentation (Python), not braces
        self.partial = partial  # the window starts inside an outer construct: it cannot see it

    # -- reading ---------------------------------------------------------------------------
    def read(self, root: Any) -> CursorSyntax | None:
        path = self._path(root)
        if self._inside_comment(path):
            return CursorSyntax(COMMENT)
        if any(_is_string(n) and n.start_byte < self.cursor < n.end_byte for n in path):
            return CursorSyntax(STRING)
        leaf = path[-1]
        for i in range(len(path) - 1, -1, -1):
            opener = self._unclosed(path[i])
            if opener is not None:
                return self._in_bracket(opener, path[: i + 1], leaf)
        if self.indented:
            return self._indented(path, leaf)
        if self.mid_line:
            return self._after_code(leaf)
        return None if self.rest else CursorSyntax(BODY)  # top level

    def _path(self, root: Any) -> list[Any]:
        """The nodes from the root down to the token that holds the cursor, or else to the last
        token before it (comments that end before it and missing tokens are passed over)."""
        c = self.cursor
        path = [root]
        node = root
        while node.child_count:
            child = _first_child_after(node, c)
            if child is None or child.start_byte >= c:
                child = child.prev_sibling if child is not None else node.child(node.child_count - 1)
                while child is not None and (child.is_missing or (_is_comment(child) and not self._touches(child))):
                    child = child.prev_sibling
            if child is None:
                break
            path.append(child)
            node = child
        return path

    def _touches(self, comment: Any) -> bool:
        """A line comment ends at the end of its line: a cursor right after it is inside it."""
        head = self.src[comment.start_byte: comment.start_byte + 2]
        return comment.end_byte == self.cursor and (head == b"//" or head[:1] == b"#")

    def _inside_comment(self, path: list[Any]) -> bool:
        c = self.cursor
        return any(_is_comment(n) and (n.start_byte < c < n.end_byte or self._touches(n)) for n in path)

    def _unclosed(self, node: Any) -> Any:
        """The innermost bracket among ``node``'s own tokens before the cursor that is still open
        at the cursor (ERROR nodes are read through: their tokens are flat)."""
        if node.child_count == 0 or node.start_byte >= self.cursor:
            return None
        stack: list[Any] = []
        self._scan(node, stack, depth=0)
        return stack[-1] if stack else None

    def _scan(self, node: Any, stack: list[Any], depth: int) -> None:
        for child in node.children:
            if child.start_byte >= self.cursor:
                break
            kind = child.type
            if child.is_missing:
                continue
            top = stack[-1].type if stack else ""
            if top in _STRING_OPENERS:  # in a string the window did not see closed: text, not code
                if kind == _CLOSER_OF.get(top, top):
                    stack.pop()
                elif child.is_error and depth < 2:
                    self._scan(child, stack, depth + 1)
            elif kind in _CLOSER_OF:
                stack.append(child)
            elif kind in _QUOTES and child.parent is not None and child.parent.is_error:
                stack.append(child)
            elif stack and kind == _CLOSER_OF.get(top):
                stack.pop()
            elif child.is_error and depth < 2:
                self._scan(child, stack, depth + 1)

    # -- deciding --------------------------------------------------------------------------
    def _in_bracket(self, opener: Any, ancestors: list[Any], leaf: Any) -> CursorSyntax | None:
        kind = opener.type
        if kind in _STRING_OPENERS:
            return CursorSyntax(STRING)
        owner = opener.parent
        if owner.type in _LITERALS or (kind != "(" and owner.is_error and self._leads_literal(opener)):
            return CursorSyntax(STATEMENT) if self.mid_line and leaf != opener else None  # text rules
        if kind != "{" or self.indented:  # Python braces are dicts, sets and f-string fields
            return CursorSyntax(EXPRESSION)
        return self._in_braces(opener, owner, ancestors, leaf)

    def _leads_literal(self, opener: Any) -> bool:
        """In an ERROR node: does the token before this bracket make it a literal?"""
        before = _token_before(opener)
        if opener.type == "[":
            return before is None or before.type not in (")", "]", "identifier", "property_identifier",
                                                         "field_identifier")
        return before is None or before.type in _LITERAL_LEADS

    def _in_braces(self, brace: Any, body: Any, ancestors: list[Any], leaf: Any) -> CursorSyntax | None:
        if body.is_error:  # the parser could not attach the body: the brace's own line decides
            owner = brace
            enclosing = _token_before(brace)
            while enclosing is not None and enclosing.type not in _DEFINITIONS:
                enclosing = enclosing.parent
        else:
            owner = body.parent if body.child(0) == brace and body.parent is not None else body
            enclosing = self._enclosing(ancestors)
        header = min(self._indent_at(owner.start_byte), self._indent_at(brace.start_byte))
        definition = self._width(enclosing)
        if self.mid_line:
            if leaf == brace and all(ch in _TRAILING_CLOSERS for ch in self.rest):
                return CursorSyntax(OPENER, header, definition)
            if leaf.type == ":" and not self.rest and leaf.parent is not None and (
                    "case" in leaf.parent.type or "default" in leaf.parent.type or "label" in leaf.parent.type):
                return CursorSyntax(OPENER, self._indent_at(leaf.start_byte), definition)  # a switch case
            return self._after_code(leaf)
        if self.rest or (body.is_error and enclosing is None):
            return None
        if leaf == brace and _only_closer_after(body, brace):
            return self._empty_body(header, enclosing)
        return CursorSyntax(BODY, definition_indent=definition)

    def _indented(self, path: list[Any], leaf: Any) -> CursorSyntax | None:
        """Python: bodies are indented blocks, and an empty one is a zero-width ``block``."""
        if leaf.type == "block" and leaf.start_byte == leaf.end_byte and leaf.parent is not None:
            owner = leaf.parent
            header = min(self._indent_at(owner.start_byte), self._indent_at(leaf.start_byte))
            enclosing = self._python_enclosing(path, here=None)
            if self.mid_line:
                return CursorSyntax(STATEMENT) if self.rest else CursorSyntax(OPENER, header, self._width(enclosing))
            return None if self.rest else self._empty_body(header, enclosing)
        if self.mid_line:
            if leaf.type == ":" and not self.rest:
                parent = leaf.parent
                if parent is not None and parent.type in _PY_OWNERS:
                    header = min(self._indent_at(parent.start_byte), self._indent_at(leaf.start_byte))
                    return CursorSyntax(OPENER, header, self._width(self._python_enclosing(path, here=None)))
                if parent is not None and parent.is_error and self.line_prefix.split()[0].rstrip(":") in _PY_HEADERS:
                    return None  # a header the parser could not place: the text rules decide
            return self._after_code(leaf)
        if self.rest:
            return None
        enclosing = self._python_enclosing(path, here=self._here())
        if enclosing is None and self.partial:
            return None  # what encloses the cursor lies above the window
        return CursorSyntax(BODY, definition_indent=self._width(enclosing))

    def _empty_body(self, header: int, enclosing: Any) -> CursorSyntax:
        """An empty body is the block only where code follows it in the enclosing construct;
        at the end of a definition the user is writing on, and the definition is the limit."""
        if enclosing is not None and self._code_after(enclosing):
            return CursorSyntax(EMPTY_BODY, header, self._width(enclosing))
        if enclosing is None and self.partial:
            return None
        return CursorSyntax(BODY, definition_indent=self._width(enclosing))

    def _code_after(self, node: Any) -> bool:
        """Does ``node`` hold a real token after the cursor?  (Its last one is enough to look at.)"""
        while node.child_count:
            last = node.child(node.child_count - 1)
            while last is not None and (last.is_extra or last.is_missing or last.start_byte == last.end_byte):
                last = last.prev_sibling
            if last is None:
                break
            node = last
        return node.start_byte >= self.cursor and node.end_byte > node.start_byte

    def _python_enclosing(self, path: list[Any], here: int | None) -> Any:
        """The nearest enclosing ``def``/``class`` (else the outermost compound statement) whose
        body holds the cursor: with ``here``, only those indented less than the cursor."""
        outer = None
        for node in reversed(path[1:]):
            if node.type not in _PY_OWNERS:
                continue
            if here is not None and self._indent_at(node.start_byte) >= here:
                continue
            if node.type in ("function_definition", "class_definition"):
                return node
            outer = node
        return outer

    def _enclosing(self, ancestors: list[Any]) -> Any:
        """The nearest enclosing definition, else the outermost construct around the cursor."""
        outer = None
        for node in reversed(ancestors[1:]):
            if node.type in _DEFINITIONS:
                return node
            if not node.is_error:
                outer = node
        return outer

    def _width(self, node: Any) -> int:
        return -1 if node is None else self._indent_at(node.start_byte)

    def _after_code(self, leaf: Any) -> CursorSyntax | None:
        if leaf.type == "=>" and not self.rest:
            return None  # an arrow body may start on the next line: the text rules decide
        return CursorSyntax(STATEMENT)

    # -- text ------------------------------------------------------------------------------
    def _indent_at(self, byte: int) -> int:
        start = self.src.rfind(b"\n", 0, byte) + 1
        end = start
        while end < len(self.src) and self.src[end] in b" \t":
            end += 1
        return indent_width(self.src[start:end].decode("ascii"))

    def _here(self) -> int:
        """The indentation the cursor's blank line belongs to: what is typed, else the larger of
        the code lines around it."""
        if self.line_prefix:
            return indent_width(self.line_prefix)
        widths = []
        above = self.src.rfind(b"\n", 0, self.cursor)
        while above > 0:
            start = self.src.rfind(b"\n", 0, above) + 1
            line = self.src[start:above].decode("utf-8", "replace")
            if line.strip():
                widths.append(indent_width(line))
                break
            above = start - 1
        below = self.src.find(b"\n", self.cursor)
        while below != -1:
            end = self.src.find(b"\n", below + 1)
            line = self.src[below + 1: end if end != -1 else len(self.src)].decode("utf-8", "replace")
            if line.strip():
                widths.append(indent_width(line))
                break
            below = end
        return max(widths) if widths else 0
