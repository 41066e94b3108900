"""Stream transforms for remote model output: stop strings and chat-model chatter.

Each takes an iterator of text chunks and yields cleaned chunks, holding back only as much
text as it needs to decide (a possible partial stop string, or the first line of a chat reply).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

HOLE = "{{FILL_HERE}}"

# A first line that introduces code instead of being code ("Here is the missing code:").
_PROSE_LEAD = re.compile(
    r"^\s*(?:here(?:'s| is| are)|sure|certainly|of course|okay|ok|the (?:missing|completed?|code)|"
    r"to (?:complete|fill)|this (?:code|completes))\b[^\n]*[:.!]\s*$", re.IGNORECASE)


def cut_at_stops(chunks: Iterable[str], stops: Iterable[str]) -> Iterator[str]:
    """Pass text through until one of ``stops`` appears; never yield any part of a stop."""
    stops = [s for s in stops if s]
    if not stops:
        yield from chunks
        return
    longest = max(len(s) for s in stops)
    pending = ""
    for chunk in chunks:
        pending += chunk
        hits = [i for i in (pending.find(s) for s in stops) if i != -1]
        if hits:
            if min(hits):
                yield pending[:min(hits)]
            return
        safe = len(pending) - (longest - 1)
        if safe > 0:
            yield pending[:safe]
            pending = pending[safe:]
    if pending:
        yield pending


def clean_chat_output(chunks: Iterable[str], line_prefix: str = "", hold_chars: int = 400) -> Iterator[str]:
    """Drop what chat models add around a fill-in answer: a prose lead-in line, an echo of the
    current line before the cursor, and the hole marker itself.  Fences are left to the
    pipeline (``strip_fences``), which also drops prose before a fence."""
    head = ""
    it = iter(chunks)
    for chunk in it:
        head += chunk
        if "\n" in head or len(head) >= hold_chars:
            break
    first, newline, rest = head.partition("\n")
    if newline and _PROSE_LEAD.match(first) and not rest.lstrip().startswith("```"):
        head = rest
    head = _drop_echo(head, line_prefix)
    if head:
        yield head.replace(HOLE, "")
    for chunk in it:
        chunk = chunk.replace(HOLE, "")
        if chunk:
            yield chunk


def _drop_echo(text: str, line_prefix: str) -> str:
    """Remove a repeat of the text before the cursor on its line ("return " -> "return a")."""
    typed = line_prefix.strip()
    if len(typed) < 2:
        return text
    stripped = text.lstrip()
    if stripped.startswith(typed):
        remainder = stripped[len(typed):]
        # keep a space only when the user has not typed one yet
        return remainder.lstrip(" ") if line_prefix.endswith((" ", "\t")) else remainder
    return text
