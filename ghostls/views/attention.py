"""Where the model's attention goes, summarised compactly.

One eager forward pass; a hook on each layer's attention reduces that layer's
``heads x n x n`` weights as soon as they exist, so memory stays at one layer's tensor plus an
``n x n`` accumulator, and the result never holds the full ``layers x heads x n x n`` tensor:

* per head: entropy (nats), sink mass (attention on the first token), mean attention distance,
  all averaged over the query tokens;
* one aggregated matrix (mean or max over the chosen layers and heads, or attention rollout,
  Abnar & Zuidema 2020), queries x keys, quantized to bytes, pooled beyond a size cap;
* the top-k keys of each query token;
* per-line and per-identifier roll-ups of the attention the queries give, plus the same per-line
  roll-up for every chosen (layer, head) so a client can switch heads without a new request.
"""

from __future__ import annotations

import base64
import keyword
import math
import re
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ghostls.views.eager import attention_modules
from ghostls.views.tokens import Locate, Tokenization, lsp_range

AGGREGATIONS = ("mean", "max", "rollout")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NOT_IDENTIFIERS = set(keyword.kwlist) | {"self", "true", "false", "null", "let", "const", "var", "function",
                                          "return", "int", "void", "fn", "pub", "func"}


class AttentionError(ValueError):
    """Bad options or an input the view cannot handle; the message says what to change."""


@dataclass(frozen=True)
class AttentionOptions:
    layers: tuple[int, ...] | None = None  # None: every layer
    heads: tuple[int, ...] | None = None  # None: every head
    aggregation: str = "mean"
    exclude_sinks: bool = False
    top_k: int = 5
    matrix_max: int = 512  # most query rows / key columns sent before pooling


@dataclass
class HeadStats:
    layer: int
    head: int
    entropy: float
    sink_mass: float
    mean_distance: float


@dataclass
class AttentionResult:
    """Everything computed from one forward pass (torch tensors where sizes are n)."""

    n_layers: int
    n_heads: int
    layers: list[int]
    heads: list[int]
    queries: list[int]  # token indices whose attention is summarised
    matrix: Any  # aggregated n x n (float32 tensor), rows over all tokens
    head_stats: list[HeadStats]
    head_key_mass: dict[tuple[int, int], Any]  # (layer, head) -> mean attention per key over queries
    seconds: float
    cpu_seconds: float = 0.0  # process CPU time of the pass (all threads): wall time without contention


def _validate(values: tuple[int, ...] | None, count: int, what: str) -> list[int]:
    if values is None:
        return list(range(count))
    out = []
    for v in values:
        idx = v + count if v < 0 else v
        if not 0 <= idx < count:
            raise AttentionError(f"{what} {v} does not exist: the model has {count} {what}s (0-{count - 1})")
        out.append(idx)
    if not out:
        raise AttentionError(f"choose at least one {what}")
    return sorted(set(out))


def _rows(weights: Any, queries: Any) -> Any:
    """``weights[:, queries, :]``; a view (no copy) when the queries are one contiguous run."""
    q = queries.tolist() if hasattr(queries, "tolist") else list(queries)
    if q and q == list(range(q[0], q[-1] + 1)):
        return weights[:, q[0]:q[-1] + 1, :]
    return weights[:, queries.to(weights.device), :]


def head_statistics(weights: Any, queries: Any, sinks: Sequence[int] = (0,)) -> tuple[Any, Any, Any]:
    """Per-head (entropy, sink mass, mean distance) of ``weights`` (heads x n x n), averaged over
    the query rows ``queries`` (a LongTensor).  Written to make at most one n-sized temporary."""
    import torch

    rows = _rows(weights, queries).float()  # h x q x n
    entropy = torch.special.entr(rows).sum(-1).mean(-1)
    sink = rows[:, :, list(sinks)].sum(-1).mean(-1)
    n = weights.shape[-1]
    # sum_k p[q,k] * (q - k) = q * sum_k p[q,k] - sum_k p[q,k] * k   (p is zero above the diagonal)
    keys = torch.arange(n, device=weights.device, dtype=rows.dtype)
    q_pos = queries.to(weights.device).to(rows.dtype)
    mean_distance = (q_pos * rows.sum(-1) - rows @ keys).mean(-1)
    return entropy, sink, mean_distance


def rollout_step(total: Any, layer_mean: Any) -> Any:
    """One layer of attention rollout: add the residual, renormalise, compose with the layers below."""
    import torch

    n = layer_mean.shape[-1]
    a = 0.5 * layer_mean + 0.5 * torch.eye(n, dtype=layer_mean.dtype, device=layer_mean.device)
    a = a / a.sum(-1, keepdim=True)
    return a if total is None else a @ total


def drop_sinks(matrix: Any, sinks: Sequence[int]) -> Any:
    """Zero the sink columns and renormalise each row over the remaining keys."""
    m = matrix.clone()
    m[:, list(sinks)] = 0
    sums = m.sum(-1, keepdim=True)
    return m / sums.where(sums > 0, sums.new_ones(()))


def run_attention(model: Any, ids: list[int], queries: list[int], options: AttentionOptions) -> AttentionResult:
    """Run ``model`` (eager attention) on ``ids`` and reduce every layer as it is produced."""
    import torch

    if options.aggregation not in AGGREGATIONS:
        raise AttentionError(f"aggregation must be one of {', '.join(AGGREGATIONS)}, not {options.aggregation!r}")
    modules = attention_modules(model)
    if not modules:
        raise AttentionError(f"found no attention layers in {type(model).__name__}")
    config = model.config
    n_heads = int(getattr(config, "num_attention_heads", None) or config.n_head)
    layers = _validate(options.layers, len(modules), "layer")
    heads = _validate(options.heads, n_heads, "head")
    q_index = torch.tensor(queries, dtype=torch.long)
    state: dict[str, Any] = {"matrix": None, "count": 0}
    stats: list[HeadStats] = []
    key_mass: dict[tuple[int, int], Any] = {}
    wanted = set(layers)

    def reduce(layer: int, weights: Any) -> None:
        w = weights[0].detach().float()  # heads x n x n
        entropy, sink, distance = head_statistics(w, q_index)
        for h, (e, s, d) in enumerate(zip(entropy.tolist(), sink.tolist(), distance.tolist(), strict=True)):
            stats.append(HeadStats(layer, h, e, s, d))
        chosen = w if len(heads) == w.shape[0] else w[heads]
        per_key = _rows(chosen, q_index).mean(1).cpu()  # chosen heads x n
        for i, h in enumerate(heads):
            key_mass[(layer, h)] = per_key[i]
        if options.aggregation == "mean":
            part = chosen.sum(0)
            state["matrix"] = part if state["matrix"] is None else state["matrix"] + part
            state["count"] += len(heads)
        elif options.aggregation == "max":
            part = chosen.amax(0)
            state["matrix"] = part if state["matrix"] is None else torch.maximum(state["matrix"], part)
        else:
            state["matrix"] = rollout_step(state["matrix"], chosen.mean(0))

    handles = []
    for index, module in enumerate(modules):
        if index not in wanted:
            continue

        def hook(mod: Any, args: Any, output: Any, index: int = index) -> None:
            weights = output[1] if isinstance(output, tuple) and len(output) > 1 else None
            if weights is None:
                raise AttentionError("the model returned no attention weights (is it running eager attention?)")
            reduce(index, weights)

        handles.append(module.register_forward_hook(hook))
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        with torch.inference_mode():
            body = getattr(model, "base_model", model)
            body(input_ids=torch.tensor([ids], device=model.device), use_cache=False)
    finally:
        for handle in handles:
            handle.remove()
    matrix = state["matrix"]
    if options.aggregation == "mean":
        matrix = matrix / max(1, state["count"])
    if options.exclude_sinks:
        matrix = drop_sinks(matrix, (0,))
    return AttentionResult(n_layers=len(modules), n_heads=n_heads, layers=layers, heads=heads, queries=queries,
                           matrix=matrix.cpu(), head_stats=stats, head_key_mass=key_mass,
                           seconds=time.perf_counter() - started, cpu_seconds=time.process_time() - cpu_started)


# -- compact, JSON-ready summaries --------------------------------------------------------------
def pool_bins(count: int, limit: int) -> list[tuple[int, int]]:
    """Split ``range(count)`` into at most ``limit`` contiguous bins."""
    if count <= limit:
        return [(i, i + 1) for i in range(count)]
    edges = [round(i * count / limit) for i in range(limit + 1)]
    return [(edges[i], edges[i + 1]) for i in range(limit)]


def quantize_rows(rows: Any) -> tuple[str, list[float]]:
    """Rows of non-negative floats -> bytes (0-255 of each row's max), zlib-compressed (the browser's
    ``DecompressionStream("deflate")`` reads it), base64; and the row maxima.  Attention rows are
    mostly near zero (and causal: half the matrix is exactly zero), so this shrinks them 3-5x."""
    import torch

    scale = rows.amax(-1)
    safe = torch.where(scale > 0, scale, torch.ones_like(scale))
    q = torch.round(rows / safe.unsqueeze(-1) * 255).clamp(0, 255).to(torch.uint8)
    packed = zlib.compress(q.contiguous().numpy().tobytes(), 6)
    return base64.b64encode(packed).decode("ascii"), [float(f"{s:.6g}") for s in scale]


def matrix_payload(matrix: Any, queries: list[int], limit: int) -> dict[str, Any]:
    """The query rows of the aggregated matrix over all keys, pooled to ``limit`` x ``limit``."""
    import torch

    rows = matrix[torch.tensor(queries, dtype=torch.long)]
    row_bins = pool_bins(len(queries), limit)
    col_bins = pool_bins(rows.shape[1], limit)
    if len(row_bins) < len(queries):
        rows = torch.stack([rows[a:b].mean(0) for a, b in row_bins])
    if len(col_bins) < matrix.shape[1]:
        rows = torch.stack([rows[:, a:b].sum(-1) for a, b in col_bins], dim=-1)
    data, scale = quantize_rows(rows)
    return {"rows": len(row_bins), "cols": len(col_bins), "encoding": "uint8-row-max-zlib-base64", "data": data,
            "rowScale": scale, "rowBins": [[queries[a], queries[b - 1] + 1] for a, b in row_bins],
            "colBins": [[a, b] for a, b in col_bins]}


def top_keys(matrix: Any, queries: list[int], k: int) -> list[dict[str, Any]]:
    import torch

    k = max(1, min(k, matrix.shape[1]))
    rows = matrix[torch.tensor(queries, dtype=torch.long)]
    values, indices = rows.topk(k, dim=-1)
    return [{"query": q, "keys": [int(i) for i in idx], "weights": [round(float(v), 5) for v in val]}
            for q, idx, val in zip(queries, indices.tolist(), values.tolist(), strict=False)]


def identifier_rollup(text: str, key_mass: Sequence[float], spans: Sequence[tuple[int, int]], limit: int = 50
                      ) -> list[dict[str, Any]]:
    """Attention mass per identifier: each occurrence gets the mass of the tokens it overlaps."""
    starts = [s for s, _ in spans]
    import bisect

    names: dict[str, dict[str, Any]] = {}
    for match in _IDENTIFIER.finditer(text):
        word = match.group()
        if word in _NOT_IDENTIFIERS:
            continue
        a, b = match.span()
        i = max(0, bisect.bisect_right(starts, a) - 1)
        mass = 0.0
        while i < len(spans) and spans[i][0] < b:
            if spans[i][1] > a:
                mass += float(key_mass[i])
            i += 1
        entry = names.setdefault(word, {"name": word, "mass": 0.0, "occurrences": []})
        entry["mass"] += mass
        entry["occurrences"].append((a, b, mass))
    ranked = sorted(names.values(), key=lambda e: -e["mass"])[:limit]
    return ranked


def summarize(result: AttentionResult, tz: Tokenization, *, base: int, locate: Locate, selection_start: int,
              options: AttentionOptions) -> dict[str, Any]:
    """The JSON view of one attention run over the tokens of ``tz`` (text at offset ``base``)."""
    import torch

    matrix = result.matrix
    spans = [(t.start, t.end) for t in tz.tokens]
    q_index = torch.tensor(result.queries, dtype=torch.long)
    key_mass = matrix[q_index].mean(0).tolist()
    token_lines = [locate(base + start)[0] for start, _ in spans]
    line_numbers = sorted(set(token_lines))
    # token -> line as a one-hot matrix: every head's per-line roll-up is one matrix product
    slot = {ln: i for i, ln in enumerate(line_numbers)}
    onehot = torch.zeros(len(spans), len(line_numbers))
    onehot[torch.arange(len(spans)), torch.tensor([slot[ln] for ln in token_lines], dtype=torch.long)] = 1.0
    lines = dict(zip(line_numbers, (torch.tensor(key_mass) @ onehot).tolist(), strict=True))
    per_head = torch.stack([result.head_key_mass[(layer, h)] for layer in result.layers for h in result.heads])
    per_head_lines = (per_head.float() @ onehot).view(len(result.layers), len(result.heads), -1)
    per_head_lines = [[[round(v, 3) for v in row] for row in layer] for layer in per_head_lines.tolist()]
    query_set = set(result.queries)
    line_spans = _line_spans(tz.text, base, locate(base)[0])
    identifiers = identifier_rollup(tz.text, key_mass, spans)
    return {
        "model": {"layers": result.n_layers, "heads": result.n_heads},
        "options": {"layers": result.layers, "heads": result.heads, "aggregation": options.aggregation,
                    "excludeSinks": options.exclude_sinks, "topK": options.top_k},
        "tokens": [{"index": i, "id": t.id, "text": t.text, "group": t.group,
                    "query": i in query_set, "context": t.end <= selection_start,
                    "keyMass": round(key_mass[i], 5)} for i, t in enumerate(tz.tokens)],
        "groups": [{"text": tz.text[g.start:g.end], "tokens": g.tokens,
                    "range": lsp_range(locate, base + g.start, base + g.end)} for g in tz.groups],
        "queries": result.queries,
        "heads": [{"layer": s.layer, "head": s.head, "entropy": round(s.entropy, 4),
                   "sinkMass": round(s.sink_mass, 4), "meanDistance": round(s.mean_distance, 3)}
                  for s in result.head_stats],
        "matrix": matrix_payload(matrix, result.queries, options.matrix_max),
        "topKeys": top_keys(matrix, result.queries, options.top_k),
        "lines": [{"line": ln, "mass": round(lines[ln], 5),
                   "range": lsp_range(locate, *line_spans[ln])} for ln in line_numbers],
        "lineMassByHead": {"layers": result.layers, "heads": result.heads, "lines": line_numbers,
                           "values": per_head_lines},
        "identifiers": [{"name": e["name"], "mass": round(e["mass"], 5), "count": len(e["occurrences"]),
                         "ranges": [lsp_range(locate, base + a, base + b) for a, b, _ in e["occurrences"][:20]]}
                        for e in identifiers],
        "timings": {"forwardSeconds": round(result.seconds, 4), "forwardCpuSeconds": round(result.cpu_seconds, 4)},
    }


def _line_spans(text: str, base: int, first_line: int) -> dict[int, tuple[int, int]]:
    """Document line -> its code-point span (document offsets), clipped to the analysed text."""
    spans, start = {}, 0
    for i, line in enumerate(text.split("\n")):
        spans[first_line + i] = (base + start, base + start + len(line))
        start += len(line) + 1
    return spans


def entropy_of(row: Sequence[float]) -> float:
    return -sum(p * math.log(p) for p in row if p > 0)
