"""The completion pipeline: decide, build the prompt, generate, post-process.

Each stage is a named function in its own module; this one only wires them together, times
them, and logs one line per request.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from ghostls.completion.cache import CompletionCache
from ghostls.completion.postprocess import PostContext, is_complete, postprocess_draft, strip_fences
from ghostls.completion.prompt import budget_parts
from ghostls.completion.request import Completion, CompletionRequest, CompletionResult
from ghostls.completion.rerank import rerank, wants_rerank
from ghostls.completion.shape import Shape, decide_shape, indent_width, next_code_line
from ghostls.providers.base import GenerationParams, PromptParts, Provider, RenderedPrompt, Snippet
from ghostls.settings import Settings

log = logging.getLogger(__name__)
_ids = itertools.count(1)

# Tokens kept free for the layout's markers beyond what budget_parts counts.
MARKER_RESERVE = 16
# Sampling temperature for the extra candidates of an invoked request.
CANDIDATE_TEMPERATURE = 0.7

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
    if not request.invoked and (before[-1:].isalnum() or before[-1:] == "_") and (
            after[:1].isalnum() or after[:1] == "_"):
        return "cursor is inside an identifier"
    if not request.invoked and before.strip() and after.strip() and not all(c in ")]}>\"'`;:, " for c in after):
        return "code follows the cursor on its line"
    return ""


def blind_shape(shape: Shape, request: CompletionRequest, provider: Provider) -> Shape:
    """A model that cannot see the code below the cursor (no fill-in-the-middle) writes blind
    between existing lines: one line there, unless it fills an empty body."""
    fim = getattr(getattr(provider, "profile", None), "supports_fim", True)
    if fim or shape.mode != "block" or shape.reason.startswith(("after a block opener", "empty body")):
        return shape
    below = next_code_line(request.suffix, include_current=True)
    if not below or indent_width(below) <= shape.outer_floor:
        return shape  # nothing below in this definition: the model may write on
    return replace(shape, max_lines=1, reason=shape.reason + "; one line (the model cannot see the code below)")


def prompt_budget(settings: Settings, provider: Provider) -> int:
    window = min(settings.context_size, provider.context_window)
    return max(16, window - settings.max_new_tokens - MARKER_RESERVE)


def build_prompt(request: CompletionRequest, provider: Provider, settings: Settings,
                 snippets: tuple[Snippet, ...] = ()) -> RenderedPrompt:
    """Lay the request out for the provider's model, within the token budget."""
    budget = prompt_budget(settings, provider)
    counter = provider.counter
    context_tokens = sum(counter.count(s.text) for s in snippets)
    # A prefix-only model never sees the suffix: its share goes to the prefix.
    fim = getattr(getattr(provider, "profile", None), "supports_fim", True)
    parts = budget_parts(request.prefix, request.suffix if fim else "", counter, budget - context_tokens,
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


def generation_params(settings: Settings, provider: Provider, candidate: int) -> GenerationParams:
    """Greedy (or the configured temperature) first; later candidates sample with their own seed."""
    stop = tuple(getattr(getattr(provider, "profile", None), "stop", ()) or ())
    temperature = settings.temperature if candidate == 0 else max(settings.temperature, CANDIDATE_TEMPERATURE)
    return GenerationParams(max_new_tokens=settings.max_new_tokens, temperature=temperature, stop=stop,
                            seed=None if candidate == 0 else candidate)


def generate(provider: Provider, prompt: RenderedPrompt, params: GenerationParams, ctx: PostContext,
             cancel: threading.Event, timings: dict[str, float]) -> str:
    """Stream from the provider, stopping as soon as post-processing knows the answer."""
    t = time.perf_counter()
    text = ""
    stream = provider.stream(prompt, params, cancel)
    try:
        for chunk in stream:
            timings.setdefault("first_chunk", time.perf_counter() - t)
            text += chunk
            visible = strip_fences(text) if prompt.strip_fences else text
            if is_complete(visible, ctx):
                break
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    timings["generate"] = timings.get("generate", 0.0) + time.perf_counter() - t
    return strip_fences(text) if prompt.strip_fences else text


def to_items(outputs: tuple[str, ...], ctx: PostContext, request: CompletionRequest,
             limit: int) -> list[Completion]:
    return [item for item, _ in distinct_items(outputs, ctx, request, limit)]


def distinct_items(outputs: tuple[str, ...], ctx: PostContext, request: CompletionRequest,
                   limit: int) -> list[tuple[Completion, int]]:
    """Post-processed, non-empty, distinct suggestions, each with the index of its output."""
    items: list[tuple[Completion, int]] = []
    seen: set[tuple[str, int]] = set()
    for index, raw in enumerate(outputs):
        draft = postprocess_draft(raw, ctx)
        key = (draft.text, draft.end)
        if draft.text and key not in seen:
            seen.add(key)
            items.append((Completion(draft.text, request.offset, request.offset + draft.end), index))
        if len(items) >= limit:
            break
    return items


def generate_alternatives(provider: Provider, prompt: RenderedPrompt, settings: Settings, count: int,
                          ctx: PostContext, cancel: threading.Event, timings: dict[str, float]) -> list[str]:
    """Greedy output and its ``count - 1`` branches (the k-th best first code token, then greedy),
    decoded by the provider as one batch, each ending as soon as post-processing knows its answer."""

    def done(text: str) -> bool:
        return is_complete(strip_fences(text) if prompt.strip_fences else text, ctx)

    t = time.perf_counter()
    outputs = provider.alternatives(prompt, generation_params(settings, provider, 0), count, done,  # type: ignore[attr-defined]
                                    cancel)
    timings["generate"] = timings.get("generate", 0.0) + time.perf_counter() - t
    return [strip_fences(text) if prompt.strip_fences else text for text in outputs]


def rank_outputs(outputs: list[str], ctx: PostContext, request: CompletionRequest, prompt: RenderedPrompt,
                 provider: Provider, cancel: threading.Event) -> tuple[tuple[str, ...], list[tuple[str, float]]]:
    """The outputs, best suggestion first by how well it leads into the code below (see
    :mod:`ghostls.completion.rerank`; outputs that give no distinct suggestion go last), and
    each distinct suggestion with its score, best first."""
    pairs = distinct_items(tuple(outputs), ctx, request, len(outputs))
    ranked, scores = rerank([item for item, _ in pairs], request, prompt, provider, cancel)
    index_of = {id(item): index for item, index in pairs}
    order = [index_of[id(item)] for item in ranked]
    ordered = tuple(outputs[i] for i in order) + tuple(o for i, o in enumerate(outputs) if i not in order)
    return ordered, [(item.text, score) for item, score in zip(ranked, scores, strict=True)]


def run_completion(request: CompletionRequest, provider: Provider, settings: Settings,
                   cancel: threading.Event, context: ContextSource | None = None,
                   cache: CompletionCache | None = None) -> CompletionResult:
    """One inline completion, start to end.  Raises GenerationCancelled when cancelled."""
    result = CompletionResult(request_id=f"c{next(_ids)}")
    timings = result.timings
    started = time.perf_counter()
    reason = skip_reason(request, settings)
    if reason:
        result.skipped = reason
        log.debug("%s skipped: %s", result.request_id, reason)
        return result
    if cache is not None:
        typed = cache.typed.lookup(request)
        if typed:
            result.items, result.cached = typed, "typed"
            cache.typed.remember(request, typed)
            timings["total"] = time.perf_counter() - started
            return result
    want = max(1, settings.inline.candidates) if request.invoked else 1
    shape = blind_shape(decide_shape(request, settings.inline.max_lines), request, provider)
    result.shape = shape.mode
    timings["shape"] = time.perf_counter() - started
    provider.load()
    snippets: tuple[Snippet, ...] = ()
    if context is not None:
        t = time.perf_counter()
        try:
            snippets = context(request, prompt_budget(settings, provider) // 2)
        except Exception:  # a failing context source costs its snippets, not the completion
            log.exception("%s context source failed", result.request_id)
        timings["context"] = time.perf_counter() - t
    t = time.perf_counter()
    prompt = build_prompt(request, provider, settings, snippets)
    timings["prompt"] = time.perf_counter() - t
    result.prompt_tokens = prompt.token_count
    result.prompt = prompt
    ctx = PostContext(request, shape, check_syntax=settings.inline.syntax_check,
                      sees_suffix=getattr(getattr(provider, "profile", None), "supports_fim", True))
    reranking = wants_rerank(request, shape, provider, max(settings.inline.rerank, want), settings.temperature,
                             settings.inline.rerank_while_typing)
    result.reranked = reranking
    key = (prompt.text, prompt.messages, settings.max_new_tokens, settings.temperature, want,
           settings.inline.rerank if reranking else 0)
    # Automatic triggers reuse recent outputs; an explicit request always asks the model (and
    # refreshes the entry).
    outputs = cache.prompts.get(key) if cache is not None and not request.invoked else None
    if outputs is not None:
        result.cached = "prompt"
    elif reranking:
        count = max(settings.inline.rerank, want)
        raw = generate_alternatives(provider, prompt, settings, count, ctx, cancel, timings)
        result.model_calls += 1  # one batched generation
        if cache is not None:
            cache.model_calls += 1
        t = time.perf_counter()
        outputs, result.alternatives = rank_outputs(raw, ctx, request, prompt, provider, cancel)
        timings["rerank"] = time.perf_counter() - t
        if cache is not None:
            cache.prompts.put(key, outputs)
    else:
        raw = []
        for candidate in range(want + (want - 1) + 1 if want > 1 else 1):
            params = generation_params(settings, provider, candidate)
            result.model_calls += 1
            if cache is not None:
                cache.model_calls += 1
            raw.append(generate(provider, prompt, params, ctx, cancel, timings))
            if len(to_items(tuple(raw), ctx, request, want)) >= want:
                break
        outputs = tuple(raw)
        if cache is not None:
            cache.prompts.put(key, outputs)
    result.generated_text = outputs[0] if outputs else ""
    t = time.perf_counter()
    result.items = to_items(outputs, ctx, request, want)
    timings["postprocess"] = time.perf_counter() - t
    if not result.items:
        result.skipped = "the model's output was empty after post-processing"
    if cache is not None:
        cache.typed.remember(request, result.items)
    timings["total"] = time.perf_counter() - started
    log.info("%s %s (%s; %s) %s:%d prompt=%d tokens items=%d calls=%d%s%s %s%s", result.request_id,
             shape.mode, shape.reason, shape.decided_by, request.path or request.uri, request.offset,
             prompt.token_count, len(result.items), result.model_calls, " reranked" if reranking else "",
             f" cache={result.cached}" if result.cached else "",
             " ".join(f"{k}={v * 1000:.1f}ms" for k, v in timings.items()),
             f" ({result.skipped})" if result.skipped else "")
    return result
