"""The completion pipeline: decide, build the prompt, generate, post-process.

Each stage is a named function in its own module; this one only wires them together, times
them, and logs one line per request.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from typing import Callable

from ghostls.completion.postprocess import PostContext, is_complete, postprocess, strip_fences
from ghostls.completion.prompt import budget_parts
from ghostls.completion.request import Completion, CompletionRequest, CompletionResult
from ghostls.completion.shape import decide_shape
from ghostls.providers.base import GenerationParams, Provider, PromptParts, RenderedPrompt, Snippet
from ghostls.settings import Settings

log = logging.getLogger(__name__)
_ids = itertools.count(1)

# Tokens kept free for the layout's markers beyond what budget_parts counts.
MARKER_RESERVE = 16

ContextSource = Callable[[CompletionRequest, int], tuple[Snippet, ...]]


def skip_reason(request: CompletionRequest, settings: Settings) -> str:
    """Why no suggestion should be made here, or '' to go ahead."""
    inline = settings.inline
    if not inline.enable:
        return "inline completion is disabled (ghostls.inline.enable)"
    if request.language and request.language in inline.disabled_languages:
        return f"disabled for language {request.language!r}"
    if request.has_selection and not request.invoked:
        return "text is selected"
    before, after = request.line_prefix, request.line_suffix
    if not request.invoked and before[-1:].isidentifier() and after[:1].isalnum():
        return "cursor is inside an identifier"
    return ""


def prompt_budget(settings: Settings, provider: Provider) -> int:
    window = min(settings.context_size, provider.context_window)
    return max(16, window - settings.max_new_tokens - MARKER_RESERVE)


def build_prompt(request: CompletionRequest, provider: Provider, settings: Settings,
                 snippets: tuple[Snippet, ...] = ()) -> RenderedPrompt:
    """Lay the request out for the provider's model, within the token budget."""
    budget = prompt_budget(settings, provider)
    counter = provider.counter
    context_tokens = sum(counter.count(s.text) for s in snippets)
    parts = budget_parts(request.prefix, request.suffix, counter, budget - context_tokens,
                         path=request.path, language=request.language, snippets=snippets)
    prompt = provider.render(parts, budget)
    while prompt.token_count > budget + MARKER_RESERVE and (parts.prefix or parts.snippets):
        over = prompt.token_count - budget
        if parts.snippets:
            parts = PromptParts(**{**vars(parts), "snippets": parts.snippets[:-1]})
        else:
            parts = budget_parts(parts.prefix, parts.suffix, counter,
                                 max(1, counter.count(parts.prefix + parts.suffix) - over),
                                 path=parts.path, language=parts.language)
        prompt = provider.render(parts, budget)
    return prompt


def run_completion(request: CompletionRequest, provider: Provider, settings: Settings,
                   cancel: threading.Event, context: ContextSource | None = None) -> CompletionResult:
    """One inline completion, start to end.  Raises GenerationCancelled when cancelled."""
    result = CompletionResult(request_id=f"c{next(_ids)}")
    timings = result.timings
    started = time.perf_counter()
    reason = skip_reason(request, settings)
    if reason:
        result.skipped = reason
        log.debug("%s skipped: %s", result.request_id, reason)
        return result
    shape = decide_shape(request, settings.inline.max_lines)
    provider.load()
    snippets: tuple[Snippet, ...] = ()
    if context is not None:
        t = time.perf_counter()
        snippets = context(request, prompt_budget(settings, provider) // 2)
        timings["context"] = time.perf_counter() - t
    t = time.perf_counter()
    prompt = build_prompt(request, provider, settings, snippets)
    timings["prompt"] = time.perf_counter() - t
    result.prompt_tokens = prompt.token_count
    result.prompt = prompt
    ctx = PostContext(request, shape)
    params = GenerationParams(
        max_new_tokens=settings.max_new_tokens, temperature=settings.temperature,
        stop=tuple(getattr(getattr(provider, "profile", None), "stop", ()) or ()))
    t = time.perf_counter()
    text = ""
    stream = provider.stream(prompt, params, cancel)
    try:
        for chunk in stream:
            if "first_chunk" not in timings:
                timings["first_chunk"] = time.perf_counter() - t
            text += chunk
            visible = strip_fences(text) if prompt.strip_fences else text
            if is_complete(visible, ctx):
                break
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    timings["generate"] = time.perf_counter() - t
    if prompt.strip_fences:
        text = strip_fences(text)
    result.generated_text = text
    t = time.perf_counter()
    final = postprocess(text, ctx)
    timings["postprocess"] = time.perf_counter() - t
    if final:
        end = request.offset
        line_suffix = request.line_suffix
        if shape.mode == "line" and line_suffix.strip() and final.endswith(line_suffix.strip()):
            end += len(line_suffix.rstrip())
        result.items.append(Completion(final, request.offset, end))
    else:
        result.skipped = "the model's output was empty after post-processing"
    timings["total"] = time.perf_counter() - started
    log.info("%s %s %s:%d prompt=%d tokens items=%d %s%s", result.request_id, shape.mode,
             request.path or request.uri, request.offset, prompt.token_count, len(result.items),
             " ".join(f"{k}={v * 1000:.0f}ms" for k, v in timings.items()),
             f" ({result.skipped})" if result.skipped else "")
    return result
