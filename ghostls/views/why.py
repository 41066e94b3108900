""""Why this suggestion": per generated token its probability, and how much attention the
generated tokens paid to each part of the prompt (prefix, suffix, each retrieved snippet).

Recomputed with one eager forward pass over prompt + generated tokens.  The prompt is
re-tokenized from its text, so after token healing the first generated token may differ from
the one the decoder produced; the probabilities are those of this re-tokenization.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from ghostls.views.eager import attention_modules
from ghostls.views.tokens import tokenize


def segment_of_tokens(starts: Sequence[int], segments: Sequence[Any]) -> list[int]:
    """Index of the segment holding each token's first character, -1 when none does."""
    out = []
    for s in starts:
        found = -1
        for i, seg in enumerate(segments):
            if seg.start <= s < seg.end:
                found = i
                break
        out.append(found)
    return out


def why_view(model: Any, tokenizer: Any, prompt_text: str, segments: Sequence[Any], generated: str,
             top_alternatives: int = 3) -> dict[str, Any]:
    import torch

    started = time.perf_counter()
    ptz = tokenize(tokenizer, prompt_text)
    gtz = tokenize(tokenizer, generated)
    p_ids = [t.id for t in ptz.tokens]
    g_ids = [t.id for t in gtz.tokens]
    if not p_ids or not g_ids:
        raise ValueError("the last suggestion had an empty prompt or generated nothing")
    n_p, n_g = len(p_ids), len(g_ids)
    member = segment_of_tokens([t.start for t in ptz.tokens], segments)
    n_seg = len(segments)
    # token -> column of the (segments + unsegmented) membership matrix
    onehot = torch.zeros(n_p, n_seg + 1)
    for i, seg in enumerate(member):
        onehot[i, seg if seg >= 0 else n_seg] = 1.0
    acc: dict[str, Any] = {"sum": torch.zeros(n_g, n_p + n_g), "layers": 0}

    def hook(mod: Any, args: Any, output: Any) -> None:
        w = output[1][0].detach().float()  # heads x n x n
        acc["sum"] += w[:, n_p:, :].mean(0).cpu()
        acc["layers"] += 1

    handles = [m.register_forward_hook(hook) for m in attention_modules(model)]
    try:
        with torch.inference_mode():
            out = model(input_ids=torch.tensor([p_ids + g_ids], device=model.device), use_cache=False)
    finally:
        for h in handles:
            h.remove()
    attn = acc["sum"] / max(1, acc["layers"])  # generated x all keys, rows sum to 1
    to_prompt = attn[:, :n_p] @ onehot  # generated x (segments + other)
    to_generated = attn[:, n_p:].sum(-1)
    logits = out.logits[0, n_p - 1: n_p + n_g - 1].float().cpu()
    probs = torch.softmax(logits, dim=-1)
    chosen = probs[torch.arange(n_g), torch.tensor(g_ids)]
    top = probs.topk(top_alternatives, dim=-1)
    tokens = []
    for i, t in enumerate(gtz.tokens):
        tokens.append({"index": i, "id": t.id, "text": t.text, "group": t.group,
                       "probability": round(float(chosen[i]), 5),
                       "alternatives": [{"id": int(j), "text": tokenizer.decode([int(j)]),
                                         "probability": round(float(p), 5)}
                                        for j, p in zip(top.indices[i].tolist(), top.values[i].tolist(), strict=True)],
                       "segmentMass": [round(float(v), 5) for v in to_prompt[i]],
                       "generatedMass": round(float(to_generated[i]), 5)})
    mean_mass = to_prompt.mean(0)
    seg_out = []
    for i, seg in enumerate(segments):
        seg_out.append({"index": i, "kind": seg.kind, "source": getattr(seg, "source", ""),
                        "path": getattr(seg, "path", ""), "startLine": getattr(seg, "start_line", 0),
                        "endLine": getattr(seg, "end_line", 0), "start": seg.start, "end": seg.end,
                        "tokens": sum(1 for m in member if m == i), "mass": round(float(mean_mass[i]), 5),
                        "preview": prompt_text[seg.start:seg.end][:160]})
    return {
        "prompt": {"text": prompt_text, "tokens": n_p},
        "segments": seg_out,
        "unsegmentedMass": round(float(mean_mass[n_seg]), 5),
        "generatedSelfMass": round(float(to_generated.mean()), 5),
        "generated": {"text": generated, "tokens": tokens,
                      "meanLogProb": round(float(torch.log(chosen.clamp_min(1e-12)).mean()), 5)},
        "timings": {"seconds": round(time.perf_counter() - started, 4)},
    }
