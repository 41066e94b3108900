"""Runs a provider on a selection: ``explain`` streams Markdown, ``propose_edit`` returns a
checked replacement.  Synchronous (call it in a worker thread); stops when ``cancel`` is set."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ghostls.explain.actions import ACTIONS, EditAction, instruction
from ghostls.explain.extract import check_only_docs_added, replacement_for
from ghostls.explain.gather import Piece, gather
from ghostls.explain.prompt import PackedPrompt, edit_messages, explain_messages, pack
from ghostls.explain.selection import ExplainError, SelectionRequest, check, whole_lines
from ghostls.indexing.model import SymbolIndex
from ghostls.providers.base import GenerationParams, Provider

log = logging.getLogger(__name__)

OnText = Callable[[str], None]
EXPLAIN_MAX_NEW_TOKENS = 512
EDIT_MAX_NEW_TOKENS = 1024
MIN_PROMPT_BUDGET = 64


@dataclass
class Outcome:
    """What every run reports besides its text."""

    provider: str
    model: str
    prompt_tokens: int
    truncated: bool
    shown: tuple[int, int]  # code-point range of the document the model saw
    context: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class Explanation(Outcome):
    markdown: str = ""


@dataclass
class EditProposal(Outcome):
    action: str = ""
    start: int = 0  # code-point range replaced (whole lines)
    end: int = 0
    new_text: str = ""
    reply: str = ""


def explain(request: SelectionRequest, provider: Provider, index: SymbolIndex | None, cancel: threading.Event,
            on_text: OnText | None = None, *, max_new_tokens: int = EXPLAIN_MAX_NEW_TOKENS,
            rel: Callable[[str], str] = lambda p: p) -> Explanation:
    """Explain the selection; ``on_text`` gets the whole Markdown so far after each chunk."""
    check(request)
    started = time.perf_counter()
    pieces, notes = _context(request, provider, index)
    t_context = time.perf_counter()
    budget = _budget(provider, max_new_tokens)
    packed = pack(provider, request, pieces,
                  budget, lambda shown, kept, lines: explain_messages(request, shown, kept, lines, rel))
    if packed is None:
        raise ExplainError(f"the selection's first line alone is larger than the model's context budget "
                           f"({budget} tokens): select less, or raise 'ghostls.contextSize'.", kind="too-large")
    note = _truncation_note(request, packed, budget)
    emit = (lambda text: on_text(note + text)) if on_text is not None else None
    text = _generate(provider, packed, max_new_tokens, cancel, emit)
    outcome = _outcome(provider, packed, notes, started, t_context)
    return Explanation(**vars(outcome), markdown=note + (text.strip() or "_The model returned no explanation._"))


def propose_edit(action_name: str, request: SelectionRequest, provider: Provider, index: SymbolIndex | None,
                 cancel: threading.Event, on_text: OnText | None = None, *,
                 max_new_tokens: int = EDIT_MAX_NEW_TOKENS, rel: Callable[[str], str] = lambda p: p) -> EditProposal:
    """A checked replacement of the selection's whole lines for ``action_name``."""
    action: EditAction | None = ACTIONS.get(action_name)
    if action is None:
        raise ExplainError(f"unknown edit action {action_name!r} (known: {', '.join(ACTIONS)})")
    check(request, needs_grammar=True)
    label = action.title.removeprefix("ghostls: ")
    spec = request.spec
    assert spec is not None
    start, end = whole_lines(request.text, request.start, request.end)
    lines_request = SelectionRequest(**{**vars(request), "start": start, "end": end})
    started = time.perf_counter()
    pieces, notes = _context(lines_request, provider, index)
    t_context = time.perf_counter()
    problems = [f"line {d.line + 1}: {d.message}" + (f" [{d.source}]" if d.source else "")
                for d in request.diagnostics]
    task = instruction(action, spec.name, problems)
    original = request.text[start:end]
    max_new_tokens = _edit_tokens(provider, original, max_new_tokens, label)
    budget = _budget(provider, max_new_tokens)
    packed = pack(provider, lines_request, pieces, budget,
                  lambda shown, kept, lines: edit_messages(lines_request, shown, kept, lines, rel, task),
                  allow_truncation=False)
    if packed is None:
        raise ExplainError(f"{label}: the selection is larger than the model's context budget "
                           f"({budget} tokens); select less, or raise 'ghostls.contextSize'.", kind="too-large")
    reply = _generate(provider, packed, max_new_tokens, cancel, on_text)
    new_text = replacement_for(reply, original, spec, request.text, start, end, label)
    if action.name == "docstring":
        check_only_docs_added(spec, original, new_text, label)
    outcome = _outcome(provider, packed, notes, started, t_context)
    return EditProposal(**vars(outcome), action=action.name, start=start, end=end, new_text=new_text, reply=reply)


def _context(request: SelectionRequest, provider: Provider, index: SymbolIndex | None) -> tuple[list[Piece], list[str]]:
    may_send = getattr(provider, "may_send", None)
    if may_send is not None and not may_send(request.path):
        raise ExplainError(f"{request.path} matches 'ghostls.privacy.exclude', so it is never sent to "
                           f"{getattr(provider, 'name', 'the provider')}; nothing was sent.", kind="excluded")
    pieces, notes = gather(request, index)
    if may_send is not None:
        pieces = [p for p in pieces if may_send(p.path)]
    return pieces, notes


def _edit_tokens(provider: Provider, original: str, limit: int, title: str) -> int:
    """Room for the rewrite: about twice the selection (a docstring or a fix adds lines), within
    ``limit``; the selection must fit twice (once in the prompt, once in the reply)."""
    size = provider.counter.count(original)
    want = min(limit, 2 * size + 200)
    if size + want + MIN_PROMPT_BUDGET > provider.context_window:
        raise ExplainError(f"{title}: the selection ({size} tokens) is larger than the model's context budget "
                           f"({provider.context_window} tokens for the code, its rewrite and the instructions); "
                           "select less, or raise 'ghostls.contextSize'.", kind="too-large")
    return want


def _budget(provider: Provider, max_new_tokens: int) -> int:
    budget = provider.context_window - max_new_tokens
    if budget < MIN_PROMPT_BUDGET:
        raise ExplainError(f"the model's context window ({provider.context_window} tokens) leaves no room for a "
                           f"prompt after {max_new_tokens} generated tokens: raise 'ghostls.contextSize'.",
                           kind="too-large")
    return budget


def _truncation_note(request: SelectionRequest, packed: PackedPrompt, budget: int) -> str:
    if not packed.truncated:
        return ""
    first = request.start_line + 1
    shown_last = request.text.count("\n", 0, packed.shown[1] - 1) + 1
    return (f"> **Note:** the selection (lines {first}-{request.end_line + 1}) is larger than the model's "
            f"context budget ({budget} tokens); only lines {first}-{shown_last} are explained.\n\n")


def _generate(provider: Provider, packed: PackedPrompt, max_new_tokens: int, cancel: threading.Event,
              on_text: OnText | None) -> str:
    params = GenerationParams(max_new_tokens=max_new_tokens, temperature=0.0)
    text = ""
    for chunk in provider.stream(packed.prompt, params, cancel):
        if not chunk:
            continue
        text += chunk
        if on_text is not None:
            on_text(text)
    return text


def _outcome(provider: Provider, packed: PackedPrompt, notes: list[str], started: float,
             t_context: float) -> Outcome:
    status: dict[str, Any] = {}
    try:
        status = provider.status()
    except Exception:  # status is informative only
        log.debug("provider status failed", exc_info=True)
    if packed.skipped:
        notes = notes + [f"{packed.skipped} context piece(s) left out for lack of room"]
    now = time.perf_counter()
    return Outcome(provider=str(status.get("provider") or getattr(provider, "name", "")),
                   model=str(status.get("model") or ""), prompt_tokens=packed.prompt.token_count,
                   truncated=packed.truncated, shown=packed.shown, context=[p.describe() for p in packed.pieces],
                   notes=notes, timings={"contextSeconds": round(t_context - started, 4),
                                         "totalSeconds": round(now - started, 4)})
