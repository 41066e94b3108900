"""Post-processing: from what the model wrote to what the editor shows.

Two kinds of stage, each small, pure and table-tested (tests/completion/test_postprocess.py):

* **cuts** ``(text, ctx) -> int | None`` say where the useful part of the raw output ends
  (end of the line, end of the block, start of text that repeats the suffix, line limit,
  repeated lines, dead code after ``return``).  The earliest cut wins.  Streaming uses the same
  cuts to stop generating as soon as one of them fires (:func:`is_complete`).
* **fixes** ``(Draft, ctx) -> Draft`` then clean the kept text: balance brackets and quotes,
  absorb closers the editor already inserted after the cursor (through the item's range),
  trim whitespace, and drop a suggestion that adds syntax errors the document did not have.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ghostls.completion import syntax
from ghostls.completion.brackets import CLOSING, ScanState, closers_for, comment_marker, scan
from ghostls.completion.request import CompletionRequest
from ghostls.completion.shape import Shape, indent_width

PREFIX_SCAN_LINES = 200
SUFFIX_MATCH_LINES = 3  # suffix lines that must match to call generated text a duplicate
TERMINAL = ("return", "raise", "throw", "continue", "break")
QUOTES = "\"'`"


@dataclass(frozen=True)
class PostContext:
    request: CompletionRequest
    shape: Shape
    check_syntax: bool = True
    # The model saw the code below the cursor (fill-in-the-middle).  Only then does text that
    # joins that code mean the model meant to fill up to it (see find_cut); a prefix-only model
    # that rewrites the code below after a block end does so by chance.
    sees_suffix: bool = True
    # Derived once per request (the prefix scan is the costly part).
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def comment(self) -> str:
        return comment_marker(self.request.language, self.request.path)

    @property
    def prefix_state(self) -> ScanState:
        """Brackets and string open at the cursor."""
        if "state" not in self._cache:
            prefix = self.request.prefix
            start = 0
            for _ in range(PREFIX_SCAN_LINES):
                start = prefix.rfind("\n", 0, start - 1 if start else len(prefix))
                if start <= 0:
                    start = 0
                    break
            state = scan(prefix[start:], comment=self.comment, stop_on_mismatch=False).state
            state.comment = False
            self._cache["state"] = state
        return self._cache["state"]

    @property
    def starts_mid_line(self) -> bool:
        return bool(self.request.line_prefix.strip())


@dataclass(frozen=True)
class Draft:
    """A suggestion in progress: ``text`` replaces ``end`` characters after the cursor."""

    text: str
    end: int = 0


Cut = Callable[[str, PostContext], "int | None"]
Fix = Callable[[Draft, PostContext], Draft]


# -- helpers -------------------------------------------------------------------------------
def _line_starts(text: str) -> list[int]:
    starts = [0]
    i = text.find("\n")
    while i != -1:
        starts.append(i + 1)
        i = text.find("\n", i + 1)
    return starts


def _full_width(line: str, index: int, ctx: PostContext) -> int:
    """Indentation of generated line ``index`` as it will sit in the document."""
    return indent_width(ctx.request.line_prefix + line if index == 0 else line)


def _is_closer_line(line: str) -> bool:
    body = line.strip().rstrip(";,")
    return bool(body) and all(c in CLOSING for c in body) or body in ("end", "fi", "done", "esac")


# -- cuts ----------------------------------------------------------------------------------
def cut_line(text: str, ctx: PostContext) -> int | None:
    """Line mode: the rest of the current line."""
    if ctx.shape.mode != "line":
        return None
    i = text.find("\n")
    return None if i == -1 else i


def cut_block_end(text: str, ctx: PostContext, floor: int | None = None) -> int | None:
    """Block mode: stop at the first line that leaves the block (dedents to the floor).

    A lone closer line (``}``) at the floor is kept when the suffix does not close the block
    already.  At top level (no floor), a new top-level item after a blank line ends it.
    """
    if ctx.shape.mode != "block":
        return None
    lines = text.split("\n")
    starts = _line_starts(text)
    floor = ctx.shape.floor if floor is None else floor
    seen_code = False
    blank_before = False
    for i, line in enumerate(lines):
        if i == len(lines) - 1 and not line.strip():
            break
        if not line.strip():
            blank_before = True
            continue
        width = _full_width(line, i, ctx)
        if i == 0 and not ctx.starts_mid_line and floor >= 0 and width <= floor:
            floor = width - 1  # the model starts a new item at this level: let it finish it
        elif i > 0 or not ctx.starts_mid_line:
            if floor >= 0 and width <= floor and seen_code:
                if _is_closer_line(line) and not _suffix_closes(line, ctx):
                    return starts[i] + len(line)
                return starts[i]
            if floor >= 0 and width <= floor and not seen_code and i > 0:
                return starts[i]
            if floor < 0 and width == 0 and blank_before and seen_code:
                return starts[i]
        seen_code = True
        blank_before = False
    return None


def _suffix_closes(line: str, ctx: PostContext) -> bool:
    for nxt in ctx.request.suffix.split("\n")[:20]:
        if nxt.strip():
            return nxt.strip() == line.strip()
    return False


def cut_suffix_duplicate(text: str, ctx: PostContext) -> int | None:
    """Cut where the output starts repeating the code below the cursor.

    Up to SUFFIX_MATCH_LINES non-blank suffix lines must match (whitespace-insensitively), or
    all the generated lines that remain.  Blank lines the suffix starts with are not repeated.
    """
    return suffix_match(text, ctx)[0]


def cut_suffix_joined(text: str, ctx: PostContext) -> int | None:
    """Streaming: stop once the text has fully joined the code below (all compared lines)."""
    pos, _ = suffix_match(text, ctx, partial=False)
    return pos


def suffix_match(text: str, ctx: PostContext, partial: bool = True) -> tuple[int | None, bool]:
    """(cut position, strong): strong when the text clearly joins the code below (every
    compared line matched and not all of them are lone closers like ``}``)."""
    suffix = ctx.request.suffix
    sig: list[str] = []
    for line in suffix.split("\n", 64)[:64]:
        if line.strip():
            sig.append(line.strip())
            if len(sig) == SUFFIX_MATCH_LINES:
                break
    if not sig:
        return None, False
    # Line breaks before the suffix's first code: the kept text must not repeat them.
    blank_run = len(suffix) - len(suffix.lstrip("\n \t"))
    lead_newlines = suffix[:blank_run].count("\n")
    lines = text.split("\n")
    starts = _line_starts(text)
    first = 1 if ctx.starts_mid_line else 0
    for i in range(first, len(lines)):
        if lines[i].strip() != sig[0]:
            continue
        k, j = 0, i
        while k < len(sig) and j < len(lines):
            if lines[j].strip():
                if lines[j].strip() != sig[k]:
                    break
                k += 1
            j += 1
        complete = k == len(sig) or (partial and j == len(lines) and k >= 1)
        if not complete:
            continue
        strong = k == len(sig) and not all(_is_closer_line(x) for x in sig[:k])
        pos = starts[i]
        for _ in range(lead_newlines):  # drop blank lines the suffix already has
            prev = text.rfind("\n", 0, pos - 1) + 1 if pos > 0 else -1
            if pos <= 0 or text[prev:pos].strip():
                break
            pos = prev
        return pos, strong
    return None, False


def cut_line_limit(text: str, ctx: PostContext) -> int | None:
    """At most ``max_lines`` non-blank lines (the cursor line's rest counts when it has code)."""
    if ctx.shape.mode != "block":
        return None
    count = 0
    pos = 0
    for line in text.split("\n"):
        end = pos + len(line)
        if line.strip():
            count += 1
            if count == ctx.shape.max_lines:
                return end if end < len(text) else None
        pos = end + 1
    return None


def cut_repeated_lines(text: str, ctx: PostContext) -> int | None:
    """A model that loops repeats a line it just wrote: cut at the repetition."""
    previous = ""
    pos = 0
    for line in text.split("\n"):
        body = line.strip()
        if body and body == previous and len(body) >= 8 and not _is_closer_line(line):
            return pos
        if body:
            previous = body
        pos += len(line) + 1
    return None


def cut_after_terminal(text: str, ctx: PostContext) -> int | None:
    """Lines after ``return``/``raise``/``break`` at the same indentation are dead code."""
    lines = text.split("\n")
    starts = _line_starts(text)
    terminal_width = -1
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        width = _full_width(line, i, ctx)
        if terminal_width >= 0:
            if width >= terminal_width and not _is_closer_line(line) and i < len(lines) - 1:
                return starts[i]
            terminal_width = -1
        word = line.strip().split(" ", 1)[0].rstrip(";")
        if word in TERMINAL and (i > 0 or not ctx.starts_mid_line):
            result = scan(line, comment=ctx.comment, stop_on_mismatch=False)
            if not result.state.stack and not result.state.quote and not line.rstrip().endswith(("\\", ",")):
                terminal_width = width
    return None


def cut_definition_end(text: str, ctx: PostContext) -> int | None:
    """Leaving the enclosing definition ends the suggestion in every case."""
    return cut_block_end(text, ctx, ctx.shape.outer_floor)


CUTS: tuple[Cut, ...] = (cut_line, cut_suffix_duplicate, cut_block_end, cut_definition_end,
                         cut_line_limit, cut_repeated_lines, cut_after_terminal)
# Where the model's text joins the code below, that is the end, even past a dedent: the
# block end is only the fallback for text that never joins it.
_FALLBACK = {cut_block_end, cut_definition_end}
# While streaming, leaving the enclosing definition stops generation (the text might join the
# code below later, but we do not wait for it).
_STREAMING = tuple(cut_suffix_joined if c is cut_suffix_duplicate else c for c in CUTS if c is not cut_block_end)
# A model that cannot see the code below never "joins" it on purpose: the block end is the end.
_BLIND_STREAMING = (*_STREAMING, cut_block_end)


def find_cut(text: str, ctx: PostContext, cuts: tuple[Cut, ...] = CUTS) -> int | None:
    found = {cut: cut(text, ctx) for cut in cuts}
    joined = ctx.sees_suffix and found.get(cut_suffix_duplicate) is not None and suffix_match(text, ctx)[1]
    positions = [pos for cut, pos in found.items() if pos is not None and not (joined and cut in _FALLBACK)]
    return min(positions) if positions else None


# -- fixes ---------------------------------------------------------------------------------
def balance_brackets(draft: Draft, ctx: PostContext) -> Draft:
    """Never leave brackets unbalanced: cut at a closer that matches nothing open; brackets the
    suggestion opens must close in it or in the code right after it, else the suggestion is
    cut back to its last balanced line (block) or closed (a finished-looking line)."""
    text = draft.text
    state = ctx.prefix_state
    result = scan(text, state, ctx.comment)
    if result.mismatch_at >= 0:
        text = text[:result.mismatch_at]
        result = scan(text, state, ctx.comment)
    end_state = result.state
    base = len(state.stack) - len(result.closed_outer)
    own = end_state.stack[base:] if len(end_state.stack) > base else []
    own_quote = end_state.quote if end_state.quote and not state.quote else ""
    if not own and not own_quote:
        return replace(draft, text=text)
    after = ctx.request.suffix[draft.end:]
    if _closed_by(after, end_state, len(end_state.stack) - len(own), ctx):
        return replace(draft, text=text)
    if ctx.shape.mode == "line":
        stripped = text.rstrip()
        if stripped and (stripped[-1].isalnum() or stripped[-1] in ")]}\"'`_") and not own_quote:
            return replace(draft, text=stripped + closers_for(own))
        if own_quote and len(own_quote) == 1 and not own:
            return replace(draft, text=stripped + own_quote)
    ends = [e for e in result.balanced_ends if e > 0]
    return replace(draft, text=text[:ends[-1]] if ends else "")


def _closed_by(after: str, state: ScanState, depth: int, ctx: PostContext) -> bool:
    """Does the code after the suggestion close the brackets the suggestion left open?"""
    if not state.stack and not state.quote:
        return True
    window = "\n".join(after.split("\n", 50)[:50])
    result = scan(window, state, ctx.comment, stop_on_mismatch=True)
    return bool(result.closed_outer) and len(state.stack) - len(result.closed_outer) <= depth


def absorb_closers(draft: Draft, ctx: PostContext) -> Draft:
    """Text after the cursor on the same line: the suggestion must not repeat it.

    When the suggestion ends with the rest of the line, that part is dropped.  When it closes
    brackets or a string that the editor already closed (auto-inserted ``)``, ``"``), the
    item's range takes those characters in.  A suggestion that closes a bracket before other
    code on the line is cut before that closer.
    """
    text = draft.text
    rest = ctx.request.line_suffix[draft.end:].rstrip()
    if not rest or "\n" in text.rstrip("\n") or not ctx.starts_mid_line:
        return draft
    if text.rstrip().endswith(rest) and len(text.rstrip()) > len(rest):
        return replace(draft, text=text.rstrip()[: len(text.rstrip()) - len(rest)])
    if text.rstrip() == rest:
        return replace(draft, text="")
    lead = ""
    for ch in rest:
        if ch in CLOSING or ch in QUOTES:
            lead += ch
        else:
            break
    state = ctx.prefix_state
    result = scan(text, state, ctx.comment)
    closed = result.closed_outer
    if state.quote and not result.state.quote:
        closed = state.quote[0] + closed  # the string the cursor was in got closed
    if not closed:
        return draft
    if lead and (lead.startswith(closed[: len(lead)]) or closed.startswith(lead)):
        absorbed = len(lead) if closed.startswith(lead) else len(closed)
        left = rest[absorbed:]
        if left and text.rstrip().endswith(left):  # e.g. the ';' after an absorbed '"'
            text = text.rstrip()[: len(text.rstrip()) - len(left)]
        return Draft(text, draft.end + absorbed)
    # The suggestion closes something while other code follows on the line: stop before it.
    first = _first_outer_close(text, state, ctx)
    return replace(draft, text=text[:first]) if first >= 0 else draft


def _first_outer_close(text: str, state: ScanState, ctx: PostContext) -> int:
    for i in range(1, len(text) + 1):
        r = scan(text[:i], state, ctx.comment)
        if r.closed_outer or (state.quote and not r.state.quote):
            return i - 1
    return -1


def trim_whitespace(draft: Draft, ctx: PostContext) -> Draft:
    """No trailing spaces or blank lines; a suggestion inserted before code that stays on the
    cursor line ends with a line break and that line's indentation."""
    lines = [line.rstrip() for line in draft.text.split("\n")]
    while len(lines) > 1 and not lines[-1].strip():
        lines.pop()
    text = "\n".join(lines)
    if not text.strip():
        return replace(draft, text="")
    rest = ctx.request.line_suffix[draft.end:]
    if ctx.shape.mode == "block" and rest.strip() and ("\n" in text or not ctx.starts_mid_line):
        indent = ctx.request.line_prefix if not ctx.starts_mid_line else ctx.shape.base_indent
        text = text + "\n" + indent
    return replace(draft, text=text)


def reject_syntax_errors(draft: Draft, ctx: PostContext) -> Draft:
    """Drop (or cut back line by line) a suggestion that adds syntax errors to the code."""
    if not ctx.check_syntax or not draft.text.strip():
        return draft
    delta = syntax.error_delta(ctx.request, draft.text, draft.end)
    if delta is None or delta <= 0:
        return draft
    lines = draft.text.rstrip("\n").split("\n")
    for keep in range(len(lines) - 1, 0, -1):
        candidate = trim_whitespace(Draft("\n".join(lines[:keep]), draft.end), ctx)
        if candidate.text.strip() and (syntax.error_delta(ctx.request, candidate.text, candidate.end) or 0) <= 0:
            return candidate
    return Draft("", 0)


FIXES: tuple[Fix, ...] = (balance_brackets, absorb_closers, trim_whitespace, reject_syntax_errors)


def postprocess_draft(text: str, ctx: PostContext, fixes: tuple[Fix, ...] = FIXES) -> Draft:
    text = text.replace("\r\n", "\n")
    cut = find_cut(text, ctx)
    draft = Draft(text if cut is None else text[:cut])
    for fix in fixes:
        if not draft.text.strip():
            return Draft("", 0)
        draft = fix(draft, ctx)
    if not draft.text.strip():
        return Draft("", 0)
    return draft


def postprocess(text: str, ctx: PostContext) -> str:
    """The suggestion's text only (see :func:`postprocess_draft` for its range)."""
    return postprocess_draft(text, ctx).text


def is_complete(text: str, ctx: PostContext) -> bool:
    """True once more generated text cannot change the answer (streaming early stop)."""
    if ctx.shape.mode == "line":
        return "\n" in text
    whole_lines = text[: text.rfind("\n") + 1]
    if not whole_lines:
        return False
    # The block end alone is not enough: the text may still join the code below.
    text = whole_lines.rstrip("\n") + "\n"
    return any(cut(text, ctx) is not None for cut in (_STREAMING if ctx.sees_suffix else _BLIND_STREAMING))


def strip_fences(text: str) -> str:
    """Remove Markdown code fences and the prose around them (chat models add them anyway)."""
    if "```" not in text:
        return text
    start = text.find("```")
    body_start = text.find("\n", start)
    if body_start == -1:
        return ""
    end = text.find("```", body_start)
    return text[body_start + 1: end if end != -1 else len(text)].rstrip("\n")
