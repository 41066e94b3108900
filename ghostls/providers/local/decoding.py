"""The decoding loop of the local engine: prefill, token healing, streaming, stopping.

Written by hand (not ``model.generate``) so that each step can check cancellation, the
consumer can stop it early by closing the generator, the first tokens can be constrained
for token healing, and the prefill can reuse a cached key/value prefix.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

from ghostls.providers.base import GenerationCancelled, GenerationParams

REPLACEMENT = "\ufffd"


class VocabIndex:
    """Decoded text of every token, searchable by prefix (for token healing)."""

    def __init__(self, tokenizer: Any) -> None:
        size = len(tokenizer)
        pieces = tokenizer.batch_decode([[i] for i in range(size)], skip_special_tokens=False)
        special = set(getattr(tokenizer, "all_special_ids", []) or [])
        usable = [(p, i) for i, p in enumerate(pieces)
                  if p and REPLACEMENT not in p and i not in special]
        usable.sort()
        self._sorted = [p for p, _ in usable]
        self._ids = [i for _, i in usable]
        self._by_piece: dict[str, list[int]] = {}
        for p, i in usable:
            self._by_piece.setdefault(p, []).append(i)

    def consistent_with(self, text: str) -> list[int]:
        """Ids of tokens that start with ``text`` or are a non-empty prefix of it."""
        lo = bisect.bisect_left(self._sorted, text)
        hi = bisect.bisect_left(self._sorted, text + "\U0010ffff")
        ids = self._ids[lo:hi]
        for end in range(1, len(text)):
            ids = ids + self._by_piece.get(text[:end], [])
        return ids


def heal_prompt(ids: list[int], tokenizer: Any, special_ids: set[int]) -> tuple[list[int], str]:
    """Back the prompt up by its last token when that token may end unnaturally.

    Returns the shortened ids and the removed text, which generation must re-create first.
    A prompt ending in a special token, or in part of a multi-byte character, is kept whole.
    """
    if len(ids) < 2 or ids[-1] in special_ids:
        return ids, ""
    removed = tokenizer.decode(ids[-1:])
    if not removed or REPLACEMENT in removed:
        return ids, ""
    return ids[:-1], removed


@dataclass
class StepStats:
    prompt_tokens: int = 0
    reused_tokens: int = 0
    generated_tokens: int = 0
    prefill_s: float = 0.0
    first_token_s: float = 0.0
    decode_s: float = 0.0


Prefill = Callable[[list[int]], tuple[Any, Any]]  # ids -> (last logits [vocab], kv cache)


class TextStreamer:
    """Turns a growing list of token ids into text increments, honouring stop strings."""

    def __init__(self, tokenizer: Any, heal_text: str, stop: Sequence[str]) -> None:
        self.tokenizer = tokenizer
        self.heal_text = heal_text
        self.stop = [s for s in stop if s]
        self.emitted = 0
        self.done = False

    def push(self, ids: list[int]) -> str:
        text = self.tokenizer.decode(ids, skip_special_tokens=False)
        if self.heal_text:
            if len(text) < len(self.heal_text):
                return ""
            text = text[len(self.heal_text):]
        hold = 0
        for s in self.stop:
            idx = text.find(s)
            if idx != -1:
                self.done = True
                text = text[:idx]
        if not self.done:
            if text.endswith(REPLACEMENT):
                return ""
            for s in self.stop:
                for k in range(min(len(s) - 1, len(text)), 0, -1):
                    if text.endswith(s[:k]):
                        hold = max(hold, k)
                        break
        visible = text[: len(text) - hold] if hold else text
        chunk = visible[self.emitted:]
        self.emitted = max(self.emitted, len(visible))
        return chunk

    def flush(self, ids: list[int]) -> str:
        """The held-back tail at the end of generation."""
        if self.done:
            return ""
        stop, self.stop = self.stop, []
        try:
            chunk = self.push(ids)
            text = self.tokenizer.decode(ids, skip_special_tokens=False)
            if not text.endswith(REPLACEMENT):
                return chunk
            return chunk.rstrip(REPLACEMENT)
        finally:
            self.stop = stop


def decode_stream(model: Any, tokenizer: Any, prompt_ids: list[int], params: GenerationParams,
                  cancel: threading.Event, *, prefill: Prefill, stop_ids: set[int],
                  heal_text: str = "", vocab: VocabIndex | None = None,
                  stats: StepStats | None = None) -> Iterator[str]:
    """Generate from ``prompt_ids`` and yield text increments.

    Raises GenerationCancelled as soon as ``cancel`` is set (checked before every step).
    """
    import time

    import torch

    stats = stats or StepStats()
    stats.prompt_tokens = len(prompt_ids)
    device = next(model.parameters()).device
    generator = None
    if params.temperature > 0:
        generator = torch.Generator(device="cpu")
        generator.manual_seed(params.seed if params.seed is not None else 0)
    streamer = TextStreamer(tokenizer, heal_text, params.stop)
    generated: list[int] = []
    started = time.perf_counter()
    if cancel.is_set():
        raise GenerationCancelled()
    with torch.inference_mode():
        logits, cache = prefill(prompt_ids)
        stats.prefill_s = time.perf_counter() - started
        for step in range(params.max_new_tokens):
            if cancel.is_set():
                raise GenerationCancelled()
            logits = logits.float()
            healed = tokenizer.decode(generated) if heal_text and generated else ""
            remaining = heal_text[len(healed):] if heal_text and len(healed) < len(heal_text) else ""
            if remaining and vocab is not None:
                allowed = vocab.consistent_with(remaining)
                if allowed:
                    mask = torch.full_like(logits, float("-inf"))
                    mask[allowed] = 0
                    logits = logits + mask
            if generator is not None:
                probs = torch.softmax(logits / params.temperature, dim=-1)
                token = int(torch.multinomial(probs.cpu(), 1, generator=generator))
            else:
                token = int(torch.argmax(logits))
            if step == 0:
                stats.first_token_s = time.perf_counter() - started
            if token in stop_ids and not remaining:
                break
            generated.append(token)
            stats.generated_tokens = len(generated)
            chunk = streamer.push(generated)
            if chunk:
                yield chunk
            if streamer.done:
                return
            if step + 1 == params.max_new_tokens:
                break
            out = model(input_ids=torch.tensor([[token]], device=device), cache=cache,
                        use_cache=True)
            cache = out.past_key_values
            logits = out.logits[0, -1]
        stats.decode_s = time.perf_counter() - started - stats.prefill_s
    tail = streamer.flush(generated)
    if tail:
        yield tail
