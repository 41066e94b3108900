"""Per-language symbol and import extraction on small real-looking files (golden tables).

Each row is (kind, qualified name, first line, last line); docs and signatures are checked where
a language has a convention for them.  The samples live in ``samples/`` (the Python one as
``sample.py.txt``: it holds a syntax error on purpose, which linters would flag).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ghostls.indexing.languages import all_specs, parse, spec_for
from ghostls.indexing.symbols import extract

SAMPLES = Path(__file__).parent / "samples"

GOLDEN: dict[str, list[tuple[str, str, int, int]]] = {
    "sample.py": [
        ("constant", "MAX_SIZE", 7, 7), ("variable", "_cache", 8, 8), ("class", "Parser", 12, 32),
        ("variable", "Parser.encoding", 15, 15), ("method", "Parser.__init__", 17, 18),
        ("method", "Parser.size", 21, 22), ("method", "Parser.parse", 24, 32), ("function", "parse.helper", 30, 31),
        ("function", "fetch", 35, 36), ("function", "broken", 39, 40), ("function", "after_error", 43, 44),
    ],
    "sample.js": [
        ("constant", "lodash", 4, 4), ("function", "greet", 10, 12), ("constant", "MAX", 15, 15),
        ("variable", "counter", 16, 16), ("function", "add", 18, 18), ("class", "Shape", 20, 30),
        ("field", "Shape.size", 21, 21), ("method", "Shape.constructor", 22, 25), ("method", "Shape.area", 27, 29),
    ],
    "sample.ts": [
        ("interface", "Point", 4, 8), ("field", "Point.x", 5, 5), ("field", "Point.y", 6, 6),
        ("method", "Point.norm", 7, 7), ("type", "Id", 10, 10), ("enum", "Color", 12, 12),
        ("namespace", "Geometry", 14, 18), ("function", "Geometry.area", 15, 17), ("class", "Repo", 20, 26),
        ("field", "Repo.items", 21, 21), ("method", "Repo.find", 22, 22), ("method", "Repo.add", 23, 25),
        ("function", "handler", 28, 30),
    ],
    "sample.tsx": [
        ("interface", "Props", 2, 2), ("field", "Props.label", 2, 2), ("function", "Counter", 5, 8),
        ("function", "Title", 10, 10),
    ],
    "sample.go": [
        ("constant", "Pi", 10, 10), ("variable", "count", 13, 13), ("variable", "names", 14, 14),
        ("interface", "Shape", 18, 20), ("struct", "Rect", 23, 25), ("type", "Celsius", 27, 27),
        ("method", "Rect.Area", 30, 32), ("method", "Rect.String", 34, 34), ("function", "New", 37, 39),
    ],
    "sample.rs": [
        ("constant", "MAX", 6, 6), ("constant", "GREETING", 7, 7), ("struct", "Point", 11, 14),
        ("enum", "Shape", 16, 16), ("trait", "Area", 18, 20), ("method", "Area.area", 19, 19),
        ("method", "Point.new", 24, 26), ("method", "Shape.area", 30, 32), ("module", "inner", 35, 37),
        ("function", "inner.helper", 36, 36), ("macro", "square", 39, 41), ("type", "Map", 43, 43),
        ("function", "main", 45, 47),
    ],
    "Sample.java": [
        ("class", "Sample", 9, 30), ("constant", "Sample.MAX_SIDES", 10, 10), ("field", "Sample.names", 11, 11),
        ("constructor", "Sample.Sample", 14, 16), ("method", "Sample.compareTo", 18, 21),
        ("interface", "Sample.Visitor", 23, 25), ("method", "Visitor.visit", 24, 24), ("enum", "Sample.Kind", 27, 27),
        ("record", "Sample.Pair", 29, 29),
    ],
    "sample.c": [
        ("macro", "MAX_SIDES", 3, 4), ("macro", "SQUARE", 4, 5), ("struct", "point", 7, 10),
        ("type", "point_t", 12, 12), ("enum", "color", 14, 14), ("variable", "counter", 16, 16),
        ("prototype", "area", 18, 18), ("function", "area", 22, 25), ("function", "name_of", 27, 29),
    ],
    "sample.cpp": [
        ("namespace", "geo", 3, 26), ("class", "geo.Shape", 6, 13), ("method", "Shape.~Shape", 8, 8),
        ("method", "Shape.area", 9, 9), ("method", "Shape.sides", 10, 10), ("struct", "geo.Point", 15, 15),
        ("method", "Shape.area", 17, 17), ("function", "geo.maxOf", 20, 22), ("type", "geo.Points", 24, 24),
        ("function", "main", 28, 30),
    ],
}

IMPORTS: dict[str, list[tuple[str, tuple[str, ...], str]]] = {
    "sample.py": [("os", (), ""), ("numpy", (), "np"), ("collections", ("OrderedDict",), ""),
                  ("collections", ("defaultdict",), "dd"), (".", ("sibling",), ""), ("..pkg.mod", ("*",), "")],
    "sample.js": [("fs", ("default",), "fs"), ("path", ("join",), ""), ("path", ("resolve",), "res"),
                  ("./util.js", (), "util"), ("./side-effect.js", (), ""), ("lodash", (), "lodash"),
                  ("fs/promises", ("readFile",), "")],
    "sample.ts": [("@angular/core", ("Injectable",), ""), ("./options", ("Options",), "")],
    "sample.tsx": [("react", ("useState",), ""), ("react", ("default",), "React")],
    "sample.go": [("fmt", (), ""), ("math", (), "m"), ("embed", (), "_")],
    "sample.rs": [("std::collections", ("HashMap",), ""), ("std::io", ("self", "Read"), ""),
                  ("std::io", ("Write",), "W"), ("crate::util", ("*",), ""), ("serde", (), "")],
    "Sample.java": [("java.util", ("List",), ""), ("java.util", ("*",), ""), ("java.lang.Math", ("PI",), "")],
    "sample.c": [("stdio.h", (), ""), ("shapes.h", (), "")],
    "sample.cpp": [("vector", (), ""), ("shape.hpp", (), "")],
}

DOCS = {  # (file, qualified name) -> doc
    ("sample.py", "Parser"): "Reads headers from bytes.",
    ("sample.py", "Parser.parse"): "Parse it.\n\nReturns a Header.",
    ("sample.js", "greet"): "Greets someone.",
    ("sample.js", "MAX"): "The maximum.",
    ("sample.js", "Shape.area"): "Area of the shape.",
    ("sample.ts", "Point"): "A point.",
    ("sample.tsx", "Counter"): "A button that counts.",
    ("sample.go", "Rect.Area"): "Area returns w*h.",
    ("sample.go", "Shape"): "Shape is anything with an area.",
    ("sample.rs", "Point"): "A point in space.",  # across #[derive(...)]
    ("sample.rs", "Point.new"): "Makes a point.",
    ("Sample.java", "Sample"): "A shape.",
    ("Sample.java", "Sample.Sample"): "Makes one.",
    ("sample.c", "area"): "Computes the area\nof a rectangle.",
    ("sample.cpp", "geo.Shape"): "A shape with an area.",
    ("sample.py", "fetch"): "",
}

SIGNATURES = {
    ("sample.py", "Parser.parse"): 'def parse(self,\n              strict: bool = False) -> "Header":',
    ("sample.py", "fetch"): "async def fetch(url):",  # the trailing comment is not part of it
    ("sample.go", "Rect.Area"): "func (r *Rect) Area() float64",
    ("sample.rs", "Point.new"): "pub fn new(x: f64, y: f64) -> Self",
    ("sample.ts", "handler"): "const handler = async (req: Request): Promise<Response> =>",
    ("sample.c", "name_of"): "static char *name_of(struct point *p)",
}


def _symbols(name: str):
    path = SAMPLES / name if (SAMPLES / name).exists() else SAMPLES / f"{name}.txt"
    source = path.read_bytes()
    spec = spec_for(path=name)
    assert spec is not None
    return extract(parse(source, spec), source, spec, name)


def test_every_registered_language_has_a_golden_sample() -> None:
    covered = {spec_for(path=name).name for name in GOLDEN}  # type: ignore[union-attr]
    assert covered == {spec.name for spec in all_specs()}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_definitions(name: str) -> None:
    got = [(d.kind, d.qualified_name, d.start_line, d.end_line) for d in _symbols(name).definitions]
    assert got == GOLDEN[name]


@pytest.mark.parametrize("name", sorted(IMPORTS))
def test_imports(name: str) -> None:
    got = [(i.module, i.names, i.alias) for i in _symbols(name).imports]
    assert got == IMPORTS[name]


@pytest.mark.parametrize("key", sorted(DOCS))
def test_docs(key: tuple[str, str]) -> None:
    by_name = {d.qualified_name: d for d in _symbols(key[0]).definitions}
    assert by_name[key[1]].doc == DOCS[key]


@pytest.mark.parametrize("key", sorted(SIGNATURES))
def test_signatures(key: tuple[str, str]) -> None:
    by_name = {d.qualified_name: d for d in _symbols(key[0]).definitions}
    assert by_name[key[1]].signature == SIGNATURES[key]


@pytest.mark.parametrize("lsp_id, path, expected", [
    ("python", "", "python"), ("typescriptreact", "", "tsx"), ("cpp", "", "cpp"),
    ("javascriptreact", "", "javascript"), ("", "/a/b/lib.rs", "rust"), ("", "file:///x/Main.java", "java"),
    ("", "inc/x.HPP", "cpp"), ("", "m.mjs", "javascript"),
    ("plaintext", "notes.txt", None), ("", "Makefile", None),
])
def test_spec_for(lsp_id: str, path: str, expected: str | None) -> None:
    spec = spec_for(lsp_id, path)
    assert (spec.name if spec else None) == expected


def test_columns_are_code_points_after_multibyte_text() -> None:
    source = "s = 'é😀'; x = 1\nclass Ü:\n    def ö(self): pass\n".encode()
    spec = spec_for("python")
    defs = extract(parse(source, spec), source, spec, "/t.py").definitions  # type: ignore[arg-type]
    method = next(d for d in defs if d.name == "ö")
    assert (method.start_line, method.start_col, method.container) == (2, 4, "Ü")
    assert (method.end_line, method.end_col) == (2, len("    def ö(self): pass"))
