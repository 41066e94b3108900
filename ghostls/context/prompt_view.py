"""The exact prompt the model would receive at a position, and why each piece is in it.

Built with the completion pipeline's own functions (``prompt_budget``, ``build_prompt``) and the
same context source, so what it shows is what a completion there would send.
"""

from __future__ import annotations

from typing import Any

from ghostls.completion.pipeline import ContextSource, build_prompt, prompt_budget
from ghostls.completion.request import CompletionRequest
from ghostls.providers.base import Provider, RenderedPrompt
from ghostls.settings import Settings


def context_budget(settings: Settings, provider: Provider) -> int:
    """The context tokens the pipeline offers its context source (``run_completion``)."""
    return prompt_budget(settings, provider) // 2


def render_at(request: CompletionRequest, provider: Provider, settings: Settings,
              context: ContextSource | None) -> RenderedPrompt:
    snippets = context(request, context_budget(settings, provider)) if context is not None else ()
    return build_prompt(request, provider, settings, snippets)


def describe(prompt: RenderedPrompt, request: CompletionRequest, provider: Provider,
             settings: Settings) -> dict[str, Any]:
    """``{text, segments, budget, profile}`` for ``ghostls.showPrompt`` and ``ghostls prompt``."""
    row = request.prefix.count("\n")
    segments = []
    used = {"prefix": 0, "suffix": 0, "context": 0, "markers": 0}
    for seg in prompt.segments:
        piece = prompt.text[seg.start:seg.end]
        path, start_line, end_line = seg.path, seg.start_line, seg.end_line
        if seg.kind == "prefix":
            path, start_line, end_line = request.path, row - piece.count("\n"), row
        elif seg.kind == "suffix":
            path, start_line, end_line = request.path, row, row + piece.count("\n")
        used_key = {"prefix": "prefix", "suffix": "suffix", "snippet": "context"}.get(seg.kind, "markers")
        used[used_key] += seg.tokens
        segments.append({"kind": seg.kind, "source": seg.source or seg.kind, "path": path,
                         "startLine": start_line, "endLine": end_line, "score": seg.score,
                         "tokens": seg.tokens, "start": seg.start, "end": seg.end})
    window = min(settings.context_size, provider.context_window)
    budget = {"total": window, "output": settings.max_new_tokens, "prompt": prompt_budget(settings, provider),
              "contextLimit": context_budget(settings, provider), "promptTokens": prompt.token_count, **used}
    return {"text": prompt.text, "segments": segments, "budget": budget, "profile": prompt.profile}
