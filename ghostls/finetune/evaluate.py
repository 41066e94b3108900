"""Before/after figures on held-out files: perplexity and next-line exact match."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from typing import Any

from ghostls.finetune.examples import Example, LinePosition
from ghostls.finetune.train import encode, pack, sequence_loss


def perplexity(model: Any, tokenizer: Any, examples: Sequence[Example], *, device: str, seq_tokens: int = 512,
               max_tokens: int = 0) -> dict[str, Any]:
    """exp(mean cross-entropy) over the examples' target tokens (the first ``max_tokens`` of them)."""
    import torch

    started = time.perf_counter()
    total = 0.0
    count = 0
    model.eval()
    with torch.no_grad():
        for ids, labels in pack(encode(tokenizer, examples, seq_tokens), seq_tokens):
            loss, n = sequence_loss(model, ids, labels, device)
            total += float(loss)
            count += n
            if max_tokens and count >= max_tokens:
                break
    mean = total / count if count else float("nan")
    return {"perplexity": math.exp(mean) if count else None, "loss": mean if count else None, "tokens": count,
            "seconds": round(time.perf_counter() - started, 2)}


def next_line_match(model: Any, tokenizer: Any, positions: Sequence[LinePosition], *, device: str,
                    context_tokens: int = 384, max_new_tokens: int = 40, samples: int = 5) -> dict[str, Any]:
    """Greedy-decode each held-out line; exact match ignores trailing whitespace only."""
    started = time.perf_counter()
    hits = 0
    shown: list[dict[str, Any]] = []
    for pos in positions:
        written = greedy_line(model, tokenizer, pos, device=device, context_tokens=context_tokens,
                              max_new_tokens=max_new_tokens)
        ok = written is not None and written.rstrip() == pos.line.rstrip()
        hits += ok
        if len(shown) < samples:
            shown.append({"path": pos.path, "line": pos.line_number + 1, "expected": pos.line,
                          "written": written, "match": ok})
    total = len(positions)
    return {"exactMatch": hits / total if total else None, "matched": hits, "positions": total,
            "seconds": round(time.perf_counter() - started, 2), "samples": shown}


def greedy_line(model: Any, tokenizer: Any, pos: LinePosition, *, device: str, context_tokens: int,
                max_new_tokens: int) -> str | None:
    """The line the model writes at ``pos``: after ``pos.lead`` and any blank lines (None when the
    model does not start with ``pos.lead``)."""
    import torch

    ids = list(tokenizer(pos.prompt, add_special_tokens=False)["input_ids"])[-context_tokens:]
    special = set(tokenizer.all_special_ids or [])
    cache = None
    new: list[int] = []
    feed = ids
    with torch.no_grad():
        for _ in range(max_new_tokens):
            kwargs: dict[str, Any] = {"input_ids": torch.tensor([feed], device=device), "use_cache": True}
            if cache is not None:
                kwargs["cache"] = cache
            out = model(**kwargs)
            cache = out.cache
            token = int(out.logits[0, -1].argmax())
            if token in special:
                break
            new.append(token)
            feed = [token]
            line = _written_line(tokenizer.decode(new), pos.lead)
            if line is None and len(tokenizer.decode(new)) >= len(pos.lead):
                return None
            if line is not None and line[1]:
                break
    line = _written_line(tokenizer.decode(new), pos.lead)
    return line[0] if line is not None else None


_BLANK_LINES = re.compile(r"(?:[ \t]*\n)*")


def _written_line(text: str, lead: str) -> tuple[str, bool] | None:
    """(the first non-blank line after ``lead``, whether it is complete); None without the lead."""
    if not text.startswith(lead):
        return None
    body = text[len(lead):]
    body = body[_BLANK_LINES.match(body).end():] if lead else body
    line, newline, _ = body.partition("\n")
    return line, bool(newline)
