"""Identifier tokens: what lexical similarity and name resolution compare.

Keywords and one-letter names carry no information about *which* code is related, so they are
left out.  Compound identifiers also yield their parts (``parse_header`` -> ``parse``, ``header``;
``parseHeader`` likewise) so that related names still meet.
"""

from __future__ import annotations

import re
from functools import lru_cache

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")

# Keywords and ubiquitous names of the languages we index; they match everywhere.
STOPWORDS = frozenset("""
and as assert async await break class continue def del elif else except finally for from global if
import in is lambda nonlocal not or pass raise return try while with yield None True False self cls
const let var function new this typeof instanceof void delete switch case default do throw catch
export extends implements interface type enum public private protected static readonly abstract
package func go defer chan map struct select range fallthrough goto nil true false null undefined
int str bool float string byte rune error any object void char long short double unsigned signed
fn impl pub mut use mod crate super trait where match loop move ref Self
""".split())


def identifiers(text: str) -> list[str]:
    """Identifiers in ``text`` in order, without keywords and one-letter names."""
    return [t for t in IDENTIFIER.findall(text) if len(t) > 1 and t not in STOPWORDS]


@lru_cache(maxsize=65536)
def subwords(identifier: str) -> tuple[str, ...]:
    """Lower-case parts of a compound identifier (empty for a simple one)."""
    parts = [p.lower() for chunk in identifier.split("_") for p in _CAMEL.findall(chunk)]
    parts = [p for p in parts if len(p) > 1]
    return tuple(parts) if len(parts) > 1 else ()


def bag(text: str) -> list[str]:
    """Tokens for BM25: identifiers plus the parts of compound ones."""
    out: list[str] = []
    for ident in identifiers(text):
        out.append(ident)
        out.extend(subwords(ident))
    return out


def identifier_set(text: str) -> frozenset[str]:
    """Distinct identifiers, for Jaccard similarity."""
    return frozenset(identifiers(text))
