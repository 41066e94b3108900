"""Chat prompts for a selection, packed into the model's context budget.

The selection comes first in priority: when it alone does not fit, its first lines that do fit
are kept and the result says so.  Then the context pieces are added best first while they fit;
a piece that does not fit is skipped (a smaller one after it may still fit).  Sizes are the
provider's own count of the rendered chat prompt (chat template included).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ghostls.explain.gather import Piece
from ghostls.explain.selection import SelectionRequest
from ghostls.providers.base import ChatMessage, Provider, RenderedPrompt

EXPLAIN_SYSTEM = ("You are an expert programmer who explains code to a colleague. Answer in Markdown: "
                  "start with a one-sentence summary, then explain how it works step by step, naming the "
                  "functions and classes involved. Use the definitions provided to explain what the called "
                  "code does. Be accurate and concise.")
EDIT_SYSTEM = ("You are an expert programmer who edits code. Reply with the complete replacement for the "
               "selected code in a single fenced code block and nothing else. Keep its indentation style.")


@dataclass
class PackedPrompt:
    prompt: RenderedPrompt
    messages: list[ChatMessage]
    shown: tuple[int, int]  # code-point range of the selection that the prompt shows
    truncated: bool = False
    pieces: list[Piece] = field(default_factory=list)
    skipped: int = 0  # context pieces left out for lack of room


def fence(text: str, language: str = "") -> str:
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return f"{ticks}{language}\n{text.rstrip(chr(10))}\n{ticks}"


def _context_block(request: SelectionRequest, pieces: list[Piece], rel: Callable[[str], str]) -> str:
    lang = request.language_name
    scopes = [p for p in pieces if p.kind == "scope"]
    defs = [p for p in pieces if p.kind == "definition"]
    imports = [p for p in pieces if p.kind == "imports"]
    out: list[str] = []
    if imports:
        out.append("The file's imports:\n" + fence(imports[0].text, lang))
    if scopes:
        out.append("The selection is inside:\n" + fence("\n".join(p.text for p in scopes), lang))
    for p in defs:
        where = f"{rel(p.path)}, line {p.start_line + 1}"
        out.append(f"Definition of `{p.name}` ({where}):\n" + fence(p.text, lang))
    return "\n\n".join(out)


def explain_messages(request: SelectionRequest, shown: str, pieces: list[Piece], lines: tuple[int, int],
                     rel: Callable[[str], str]) -> list[ChatMessage]:
    lang = request.language_name
    where = f"`{rel(request.path or request.uri)}`, lines {lines[0] + 1}-{lines[1] + 1}"
    context = _context_block(request, pieces, rel)
    ask = request.question.strip() or "Explain what this code does and how it works."
    user = (f"Here is some {lang} code from {where}.\n\n" + (context + "\n\n" if context else "")
            + "The selected code:\n" + fence(shown, lang) + f"\n\n{ask}")
    return [ChatMessage("system", EXPLAIN_SYSTEM), ChatMessage("user", user)]


def edit_messages(request: SelectionRequest, shown: str, pieces: list[Piece], lines: tuple[int, int],
                  rel: Callable[[str], str], task: str) -> list[ChatMessage]:
    lang = request.language_name
    where = f"`{rel(request.path or request.uri)}`, lines {lines[0] + 1}-{lines[1] + 1}"
    context = _context_block(request, pieces, rel)
    user = (f"Here is some {lang} code from {where}.\n\n" + (context + "\n\n" if context else "")
            + "The selected code:\n" + fence(shown, lang) + f"\n\n{task}\n\nReply with the whole rewritten "
            f"selection in one ```{lang} code block.")
    return [ChatMessage("system", EDIT_SYSTEM), ChatMessage("user", user)]


Build = Callable[[str, list[Piece], tuple[int, int]], list[ChatMessage]]


def pack(provider: Provider, request: SelectionRequest, pieces: list[Piece], budget: int, build: Build,
         allow_truncation: bool = True) -> PackedPrompt | None:
    """The fullest prompt within ``budget`` tokens; None when not even one line of the selection
    fits (or any of it is cut and ``allow_truncation`` is false)."""
    def render(end: int, kept: list[Piece]) -> tuple[RenderedPrompt, list[ChatMessage]]:
        text = request.text[request.start:end]
        last = request.text.count("\n", 0, max(request.start, end - 1 if text.endswith("\n") else end))
        messages = build(text, kept, (request.start_line, last))
        return provider.render_chat(messages), messages

    end = request.end
    prompt, messages = render(end, [])
    truncated = False
    if prompt.token_count > budget:
        if not allow_truncation:
            return None
        cuts = _line_cuts(request)
        lo, hi = 0, len(cuts) - 1  # the largest cut that fits
        best = -1
        while lo <= hi:
            mid = (lo + hi) // 2
            if render(cuts[mid], [])[0].token_count <= budget:
                best, lo = mid, mid + 1
            else:
                hi = mid - 1
        if best < 0:
            return None
        end, truncated = cuts[best], True
        prompt, messages = render(end, [])
    if pieces:  # the usual case: everything fits, one render decides it
        whole, whole_messages = render(end, list(pieces))
        if whole.token_count <= budget:
            return PackedPrompt(whole, whole_messages, (request.start, end), truncated, list(pieces), 0)
    kept: list[Piece] = []
    skipped = 0
    for piece in pieces:
        trial, trial_messages = render(end, kept + [piece])
        if trial.token_count <= budget:
            kept.append(piece)
            prompt, messages = trial, trial_messages
        else:
            skipped += 1
    return PackedPrompt(prompt, messages, (request.start, end), truncated, kept, skipped)


def _line_cuts(request: SelectionRequest) -> list[int]:
    """Ends of the selection's first 1, 2, ... lines (each cut just after a newline)."""
    cuts = []
    i = request.text.find("\n", request.start, request.end)
    while i != -1 and i + 1 < request.end:
        cuts.append(i + 1)
        i = request.text.find("\n", i + 1, request.end)
    return cuts
