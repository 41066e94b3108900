"""A small bracket and string scanner, enough to balance suggestions (not a parser).

It skips string literals (single, double, back-quoted and Python's triple quotes) and line
comments (``#`` or ``//`` by language) so that a ``(`` inside ``"("`` does not count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PAIRS = {"(": ")", "[": "]", "{": "}"}
CLOSING = {v: k for k, v in PAIRS.items()}
HASH_COMMENT_LANGUAGES = {"python", "ruby", "shellscript", "shell", "yaml", "toml", "r", "perl",
                          "makefile", "dockerfile", "elixir", "julia", "nim", "coffeescript"}


def comment_marker(language: str, path: str = "") -> str:
    if language in HASH_COMMENT_LANGUAGES or path.endswith((".py", ".pyi", ".rb", ".sh", ".yaml", ".yml", ".toml")):
        return "#"
    return "//"


@dataclass
class ScanState:
    stack: list[str] = field(default_factory=list)  # open brackets, innermost last
    quote: str = ""  # the open string's delimiter ('"', "'", '`', '\"\"\"', "'''"), or ""
    comment: bool = False  # inside a line comment

    def copy(self) -> ScanState:
        return ScanState(list(self.stack), self.quote, self.comment)


@dataclass
class ScanResult:
    state: ScanState
    mismatch_at: int = -1  # index of the first closer that matches nothing open, or -1
    closed_outer: str = ""  # closers that closed brackets opened before the scanned text
    # Index just after each point where the depth fell back to the starting depth (line ends).
    balanced_ends: list[int] = field(default_factory=list)


def scan(text: str, state: ScanState | None = None, comment: str = "#",
         stop_on_mismatch: bool = True) -> ScanResult:
    """Scan ``text`` from ``state``; report the end state and what was closed or mismatched."""
    st = state.copy() if state else ScanState()
    base = len(st.stack)
    floor = base  # depth below which we are closing brackets opened before ``text``
    result = ScanResult(st)
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            st.comment = False
            if st.quote in ("\"", "'"):  # an unterminated one-line string ends at the line end
                st.quote = ""
            if len(st.stack) <= base and not st.quote:
                result.balanced_ends.append(i)
            i += 1
            continue
        if st.comment:
            i += 1
            continue
        if st.quote:
            if ch == "\\":
                i += 2
                continue
            if text.startswith(st.quote, i):
                i += len(st.quote)
                st.quote = ""
                continue
            i += 1
            continue
        if text.startswith(comment, i):
            st.comment = True
            i += len(comment)
            continue
        if ch in "\"'`":
            triple = ch * 3
            st.quote = triple if comment == "#" and text.startswith(triple, i) and ch != "`" else ch
            i += len(st.quote)
            continue
        if ch in PAIRS:
            st.stack.append(ch)
        elif ch in CLOSING:
            if st.stack and st.stack[-1] == CLOSING[ch]:
                st.stack.pop()
                if len(st.stack) < floor:
                    floor = len(st.stack)
                    result.closed_outer += ch
            elif stop_on_mismatch:
                result.mismatch_at = i
                return result
        i += 1
    if len(st.stack) <= base and not st.quote:
        result.balanced_ends.append(n)
    return result


def closers_for(stack: list[str]) -> str:
    return "".join(PAIRS[b] for b in reversed(stack))
