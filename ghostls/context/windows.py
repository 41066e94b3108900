"""Code windows: fixed runs of lines from a file, the unit that lexical similarity ranks."""

from __future__ import annotations

from dataclasses import dataclass

from ghostls.context.tokens import bag, identifier_set


@dataclass(frozen=True, eq=False)
class Window:
    """Lines ``start_line``..``end_line`` (0-based, inclusive) of ``path``."""

    path: str
    start_line: int
    end_line: int
    text: str
    tokens: tuple[str, ...]  # BM25 bag
    idents: frozenset[str]  # Jaccard set


def split_windows(path: str, text: str, size: int = 10, stride: int | None = None) -> list[Window]:
    """Windows of ``size`` lines every ``stride`` lines (half a window by default), blank ones skipped."""
    lines = text.split("\n")
    stride = stride or max(1, size // 2)
    out: list[Window] = []
    last_start = max(0, len(lines) - size)
    starts = list(range(0, last_start + 1, stride))
    if starts[-1] != last_start:
        starts.append(last_start)
    for start in starts:
        chunk = lines[start:start + size]
        body = "\n".join(chunk)
        if not body.strip():
            continue
        out.append(Window(path, start, start + len(chunk) - 1, body, tuple(bag(body)), identifier_set(body)))
    return out
