"""Definitions and imports of one file, read from its tree with the language's queries.

Query conventions (``queries/<lang>/symbols.scm``): ``@definition.<kind>`` on the whole definition,
``@name`` on its name, optionally ``@container`` (an explicit owner, e.g. a Go receiver type);
``@scope.<kind>`` marks a node that only contains definitions (a Rust ``impl``).  When two patterns
capture the same name the earlier pattern wins, so specific patterns go first.
``imports.scm``: ``@import`` on the statement, ``@import.module``, ``@import.name``,
``@import.alias``, ``@import.wildcard``.

Pure: no I/O, no LSP.  Lines/columns are 0-based code points (see ``model.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import tree_sitter

from ghostls.indexing.languages import LanguageSpec
from ghostls.indexing.model import Definition, Import

MAX_SIGNATURE_CHARS = 300
MAX_SIGNATURE_LINES = 6
MAX_DOC_CHARS = 1200

# Statements that wrap a definition and carry its leading comments (climbed when looking for docs).
_WRAPPERS = frozenset({
    "decorated_definition", "export_statement", "template_declaration", "type_declaration",
    "const_declaration", "var_declaration", "lexical_declaration", "variable_declaration",
})
# Kinds that never make a function inside them a method.
_NAMESPACE_KINDS = frozenset({"module", "namespace"})
_VARIABLE_KINDS = frozenset({"variable", "field"})
_COMMENT_MARKS = re.compile(r"^\s*(?:///?!?|/\*\*?|\*/|\*(?!/)|#+|--)\s?")


@dataclass
class FileSymbols:
    definitions: list[Definition] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)


class _Text:
    """Byte <-> code-point conversions for one source."""

    def __init__(self, source: bytes) -> None:
        self.source = source
        self.ascii = source.isascii()

    def text(self, start: int, end: int) -> str:
        return self.source[start:end].decode("utf-8", "replace")

    def column(self, byte_offset: int, byte_column: int) -> int:
        if self.ascii or byte_column == 0:
            return byte_column
        return len(self.source[byte_offset - byte_column:byte_offset].decode("utf-8", "replace"))


Match = tuple[int, dict[str, list[tree_sitter.Node]]]


def extract(tree: tree_sitter.Tree, source: bytes, spec: LanguageSpec, path: str) -> FileSymbols:
    """All definitions (with containers, signatures, docs) and imports in ``tree``."""
    query = spec.index_query
    if query is None:
        return FileSymbols()
    text = _Text(source)
    definition_matches: list[Match] = []
    import_matches: list[Match] = []
    for match in tree_sitter.QueryCursor(query).matches(tree.root_node):
        captures = match[1]
        if "import" in captures or "import.default" in captures:
            import_matches.append(match)
        else:
            definition_matches.append(match)
    return FileSymbols(_definitions(definition_matches, text, spec, path), _imports(import_matches, text, path))


def _definitions(matches: list[Match], text: _Text, spec: LanguageSpec, path: str) -> list[Definition]:
    # name start byte -> (pattern, kind, def node, name node, explicit container, is_scope)
    found: dict[int, tuple[int, str, tree_sitter.Node, tree_sitter.Node, str, bool]] = {}
    for pattern, captures in matches:
        names = captures.get("name")
        if not names:
            continue
        name_node = names[0]
        kind, node, is_scope = "", None, False
        for capture, nodes in captures.items():
            if capture.startswith("definition."):
                kind, node = capture[11:], nodes[0]
            elif capture.startswith("scope."):
                kind, node, is_scope = capture[6:], nodes[0], True
        if node is None:
            continue
        key = name_node.start_byte if not is_scope else -1 - node.start_byte
        previous = found.get(key)
        if previous is not None and previous[0] <= pattern:
            continue
        container_nodes = captures.get("container")
        container = text.text(container_nodes[0].start_byte, container_nodes[0].end_byte) if container_nodes else ""
        found[key] = (pattern, kind, node, name_node, container, is_scope)

    entries = sorted(found.values(), key=lambda e: (e[2].start_byte, -e[2].end_byte, e[5] is False))
    definitions: list[Definition] = []
    stack: list[tuple[int, str, str]] = []  # (end byte, name, kind) of enclosing definitions/scopes
    for _pattern, kind, node, name_node, explicit, is_scope in entries:
        while stack and stack[-1][0] <= node.start_byte:
            stack.pop()
        name = text.text(name_node.start_byte, name_node.end_byte)
        enclosing = stack[-1] if stack else None
        container = explicit or (enclosing[1] if enclosing else "")
        if kind == "function" and enclosing is not None and (
                enclosing[2] in spec.container_kinds and enclosing[2] not in _NAMESPACE_KINDS):
            kind = "method"
        if explicit and kind == "function":
            kind = "method"
        if kind in _VARIABLE_KINDS and name.isupper():
            kind = "constant"
        stack.append((node.end_byte, name, kind))
        if is_scope:
            continue
        (sl, sc), (el, ec) = node.start_point, node.end_point
        definitions.append(Definition(
            name=name, kind=kind, path=path, language=spec.name,
            start_line=sl, start_col=text.column(node.start_byte, sc),
            end_line=el, end_col=text.column(node.end_byte, ec),
            container=container, signature=_signature(node, text, spec), doc=_doc(node, text, spec)))
    return definitions


def _signature(node: tree_sitter.Node, text: _Text, spec: LanguageSpec) -> str:
    """The definition's head: from its start to its body (or its first line when it has none)."""
    body = node.child_by_field_name("body")
    end = body.start_byte if body is not None and body.start_byte > node.start_byte else node.end_byte
    for child in node.children:  # a comment between the head and the body is not part of it
        if child.start_byte >= end:
            break
        if child.type in spec.comment_types:
            end = child.start_byte
            break
    head = text.text(node.start_byte, end)
    if body is None:
        head = head.split("\n", 1)[0]
    lines = head.rstrip().splitlines()[:MAX_SIGNATURE_LINES]
    return "\n".join(line.rstrip() for line in lines)[:MAX_SIGNATURE_CHARS].rstrip(" {")


def _doc(node: tree_sitter.Node, text: _Text, spec: LanguageSpec) -> str:
    if spec.docstring_body:
        doc = _docstring(node, text)
        if doc:
            return doc
    return _leading_comment(node, text, spec)


def _docstring(node: tree_sitter.Node, text: _Text) -> str:
    body = node.child_by_field_name("body")
    try:  # trees of half-typed code can report children they cannot hand out
        first = body.named_child(0) if body is not None and body.named_child_count else None
        if first is None or first.type != "expression_statement" or not first.named_child_count:
            return ""
        string = first.named_child(0)
    except IndexError:
        return ""
    if string is None:
        return ""
    if string.type != "string":
        return ""
    raw = "".join(text.text(c.start_byte, c.end_byte) for c in string.named_children if c.type == "string_content")
    return _clean_doc(raw)


def _leading_comment(node: tree_sitter.Node, text: _Text, spec: LanguageSpec) -> str:
    anchor = node
    while anchor.parent is not None and anchor.parent.type in _WRAPPERS and (
            anchor.parent.named_child_count and _first_non_comment(anchor.parent) == anchor):
        anchor = anchor.parent
    lines: list[str] = []
    row = anchor.start_point[0]
    sibling = anchor.prev_named_sibling
    while sibling is not None and sibling.type in ("attribute_item", "decorator"):
        row, sibling = sibling.start_point[0], sibling.prev_named_sibling
    while sibling is not None and sibling.type in spec.comment_types and sibling.end_point[0] >= row - 1:
        if sibling.end_point[0] == sibling.start_point[0] == row and row == anchor.start_point[0]:
            break  # a trailing comment of the previous line's code on the same row
        lines.insert(0, text.text(sibling.start_byte, sibling.end_byte))
        row, sibling = sibling.start_point[0], sibling.prev_named_sibling
    if not lines:
        return ""
    cleaned = []
    for block in lines:
        for line in block.splitlines():
            cleaned.append(_COMMENT_MARKS.sub("", line, count=1).rstrip().removesuffix("*/").rstrip())
    return _clean_doc("\n".join(cleaned))


def _first_non_comment(node: tree_sitter.Node) -> tree_sitter.Node | None:
    for child in node.named_children:
        if child.type not in ("comment", "decorator", "line_comment", "block_comment"):
            return child
    return None


def _clean_doc(raw: str) -> str:
    lines = raw.strip("\n").splitlines()
    if not lines:
        return ""
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    cut = min(indents) if indents else 0
    out = [lines[0].strip()] + [line[cut:].rstrip() for line in lines[1:]]
    return "\n".join(out).strip()[:MAX_DOC_CHARS]


def _unquote(module: str) -> str:
    module = module.strip()
    if len(module) >= 2 and module[0] in "\"'`<" and module[-1] in "\"'`>":
        return module[1:-1]
    return module


def _imports(matches: list[Match], text: _Text, path: str) -> list[Import]:
    # statement start -> (module, alias) -> names ; statements that had a wildcard
    groups: dict[int, dict[tuple[str, str], list[str]]] = {}
    lines: dict[int, int] = {}
    wildcard: set[int] = set()
    for _pattern, captures in matches:
        statement = (captures.get("import") or captures.get("import.default") or [None])[0]
        modules = captures.get("import.module")
        if statement is None or not modules:
            continue
        key = statement.start_byte
        module = _unquote(text.text(modules[0].start_byte, modules[0].end_byte))
        alias_nodes = captures.get("import.alias")
        alias = text.text(alias_nodes[0].start_byte, alias_nodes[0].end_byte) if alias_nodes else ""
        names = [text.text(n.start_byte, n.end_byte) for n in captures.get("import.name", [])]
        if "import.default" in captures:
            names = ["default"]
        if "import.wildcard" in captures:
            if key not in wildcard:
                groups[key] = {}
                wildcard.add(key)
            names = ["*"]
        elif key in wildcard:
            continue
        lines[key] = statement.start_point[0]
        bucket = groups.setdefault(key, {}).setdefault((module, alias), [])
        bucket.extend(n for n in names if n not in bucket)
    imports: list[Import] = []
    for key in sorted(groups):
        entries = groups[key]
        for (module, alias), names in entries.items():
            if not names and not alias and sum(1 for m, _ in entries if m == module) > 1:
                continue  # the bare "import ... from module" match of a statement that names things
            imports.append(Import(path=path, module=module, names=tuple(names), alias=alias, line=lines[key]))
    return imports
