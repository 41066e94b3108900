"""The decoding loop of the local engine: prefill, token healing, streaming, stopping.

Written by hand (not ``model.generate``) so that each step can check cancellation, the
consumer can stop it early by closing the generator, the first tokens can be constrained
for token healing, and the prefill can reuse a cached key/value prefix.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ghostls.providers.base import GenerationCancelled, GenerationParams

REPLACEMENT = "\ufffd"


class VocabIndex:
    """Decoded text of every token, searchable by prefix (for token healing)."""

    def __init__(self, tokenizer: Any) -> None:
        size = len(tokenizer)
        singles = [[i] for i in range(size)]
        backend = getattr(tokenizer, "backend_tokenizer", None)
        if backend is not None and not getattr(tokenizer, "clean_up_tokenization_spaces", False):
            # the Rust decoder gives what ``decode`` gives, several times faster
            pieces = backend.decode_batch(singles, skip_special_tokens=False)
        else:
            pieces = tokenizer.batch_decode(singles, skip_special_tokens=False)
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
    drafted_tokens: int = 0
    accepted_tokens: int = 0
    forward_passes: int = 0
    prefill_s: float = 0.0
    first_token_s: float = 0.0
    decode_s: float = 0.0


Prefill = Callable[[list[int]], tuple[Any, Any]]  # ids -> (last logits [vocab], kv cache)
# (new token ids, cache) -> (logits [len(ids), vocab], cache)
Forward = Callable[[list[int], Any], tuple[Any, Any]]
# (token ids whose key/values the cache holds, cache): hand the cache back for reuse
Keep = Callable[[list[int], Any], None]


class DraftIndex:
    """Prompt-lookup drafting: the tokens that followed the latest earlier occurrence of the
    last n-gram (longest n first).  Code repeats itself a lot; copies are cheap to verify.

    Kept incrementally (n-gram -> where its latest two occurrences end), so a step costs a few
    dictionary look-ups, not a scan of the prompt.
    """

    def __init__(self, tokens: Sequence[int], max_ngram: int = 3) -> None:
        self.max_ngram = max_ngram
        self.tokens: list[int] = []
        self._ends: list[dict[tuple[int, ...], tuple[int, int]]] = [{} for _ in range(max_ngram + 1)]
        self.extend(tokens)

    def extend(self, new: Sequence[int]) -> None:
        for token in new:
            self.tokens.append(token)
            end = len(self.tokens)
            for n in range(1, min(self.max_ngram, end) + 1):
                key = tuple(self.tokens[end - n:end])
                table = self._ends[n]
                previous = table.get(key)
                table[key] = (end, previous[0] if previous else -1)

    def draft(self, max_draft: int) -> list[int]:
        end = len(self.tokens)
        if max_draft <= 0 or end < 2:
            return []
        for n in range(min(self.max_ngram, end - 1), 0, -1):
            found = self._ends[n].get(tuple(self.tokens[end - n:]))
            if found is None:
                continue
            earlier = found[1] if found[0] == end else found[0]
            if earlier > 0:
                follow = self.tokens[earlier:earlier + max_draft]
                if follow:
                    return follow
        return []


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
                  stats: StepStats | None = None, forward: Forward | None = None,
                  keep: Keep | None = None, draft_tokens: int = 0) -> Iterator[str]:
    """Generate from ``prompt_ids`` and yield text increments.

    Raises GenerationCancelled as soon as ``cancel`` is set (checked before every step), so a
    cancelled request gives the model back within one forward pass.  With ``draft_tokens`` > 0
    and greedy decoding, each step also verifies up to that many tokens copied from the prompt
    (prompt-lookup decoding): same tokens as plain greedy, fewer forward passes on repetitive
    code.  When generation ends normally or is cancelled, ``keep`` gets the cache back together
    with the tokens it holds.
    """
    import time

    import torch

    stats = stats or StepStats()
    stats.prompt_tokens = len(prompt_ids)
    device = next(model.parameters()).device
    if forward is None:
        def forward(ids: list[int], cache: Any) -> tuple[Any, Any]:
            out = model(input_ids=torch.tensor([ids], device=device), cache=cache, use_cache=True)
            return out.logits[0], out.cache
    generator = None
    if params.temperature > 0:
        generator = torch.Generator(device="cpu")
        generator.manual_seed(params.seed if params.seed is not None else 0)
    streamer = TextStreamer(tokenizer, heal_text, params.stop)
    generated: list[int] = []
    started = time.perf_counter()
    if cancel.is_set():
        raise GenerationCancelled()
    cache = None
    fed: list[int] = []  # tokens whose key/values are in ``cache``
    drafts = DraftIndex(prompt_ids) if draft_tokens > 0 and generator is None else None
    clean_exit = False

    def remaining_heal() -> str:
        if not heal_text:
            return ""
        healed = tokenizer.decode(generated) if generated else ""
        return heal_text[len(healed):] if len(healed) < len(heal_text) else ""

    branch_pending = params.branch > 0 and generator is None

    def choose(row: Any, remaining: str) -> int:
        nonlocal branch_pending
        row = heal_mask(row.float(), remaining, vocab)
        if generator is not None:
            probs = torch.softmax(row / params.temperature, dim=-1)
            return int(torch.multinomial(probs.cpu(), 1, generator=generator))
        if branch_pending and not remaining:
            return branch_choice(row)
        return int(torch.argmax(row))

    def branch_choice(row: Any) -> int:
        """The ``params.branch``-th best token at the first choice that writes code."""
        nonlocal branch_pending
        best = int(torch.argmax(row))
        if not tokenizer.decode([best], skip_special_tokens=False).strip():
            return best  # whitespace (indentation): decide the code at the next step
        branch_pending = False
        choices = branch_tokens(row, params.branch + 1, stop_ids)
        return choices[params.branch] if len(choices) > params.branch else best

    # Inference mode is entered around each computation, never held across a ``yield``: a
    # suspended generator would otherwise leave the consumer's thread without autograd.
    no_grad = torch.inference_mode
    try:
        with no_grad():
            logits, cache = prefill(prompt_ids)
            fed = list(prompt_ids)
            stats.forward_passes += 1
            stats.prefill_s = time.perf_counter() - started
            remaining = remaining_heal()
            pending = [choose(logits, remaining)]
        stats.first_token_s = time.perf_counter() - started
        finished = False
        while not finished:
            if cancel.is_set():
                raise GenerationCancelled()
            for token in pending:
                if token in stop_ids and not remaining_heal():
                    finished = True
                    break
                generated.append(token)
                if drafts is not None:
                    drafts.extend((token,))
                stats.generated_tokens = len(generated)
                chunk = streamer.push(generated)
                if chunk:
                    yield chunk
                    if cancel.is_set():  # cancelled while the consumer had this chunk
                        raise GenerationCancelled()
                if streamer.done or len(generated) >= params.max_new_tokens:
                    finished = True
                    break
            if finished:
                break
            if cancel.is_set():
                raise GenerationCancelled()
            last = generated[-1]
            remaining = remaining_heal()
            draft: list[int] = []
            if drafts is not None and not remaining and not branch_pending:
                draft = drafts.draft(min(draft_tokens, params.max_new_tokens - len(generated) - 1))
            with no_grad():
                rows, cache = forward([last] + draft, cache)
                fed.append(last)
                fed.extend(draft)
                stats.forward_passes += 1
                if not draft:
                    pending = [choose(rows[-1], remaining)]
                    continue
                preds = torch.argmax(rows.float(), dim=-1).tolist()
                accepted = 0
                while accepted < len(draft) and preds[accepted] == draft[accepted]:
                    accepted += 1
                rejected = len(draft) - accepted
                if rejected:
                    cache.crop(-rejected)
                    del fed[len(fed) - rejected:]
            stats.drafted_tokens += len(draft)
            stats.accepted_tokens += accepted
            pending = draft[:accepted] + [preds[accepted]]
        stats.decode_s = time.perf_counter() - started - stats.prefill_s
        clean_exit = True
    except (GenerationCancelled, GeneratorExit):
        clean_exit = True
        raise
    finally:
        if keep is not None and cache is not None and clean_exit and fed:
            with no_grad():
                keep(fed, cache)
    tail = streamer.flush(generated)
    if tail:
        yield tail


def heal_mask(row: Any, remaining: str, vocab: VocabIndex | None) -> Any:
    """While token healing has text left to re-create, only tokens consistent with it count."""
    if not remaining or vocab is None:
        return row
    allowed = vocab.consistent_with(remaining)
    if not allowed:
        return row
    import torch

    mask = torch.full_like(row, float("-inf"))
    mask[allowed] = 0
    return row + mask


def branch_tokens(row: Any, count: int, stop_ids: set[int]) -> list[int]:
    """The first tokens of the branches, best first: the greedy token (even a stop token: that
    branch is the empty continuation), then the next best tokens that do not stop."""
    import torch

    top = torch.topk(row, min(count + len(stop_ids), row.shape[-1])).indices.tolist()
    return ([top[0]] + [t for t in top[1:] if t not in stop_ids])[:count]


def _cut_at_stop(text: str, stop: Sequence[str]) -> str:
    for s in stop:
        if s and s in text:
            text = text[:text.index(s)]
    return text


def decode_branches(model: Any, tokenizer: Any, prompt_ids: list[int], params: GenerationParams, count: int,
                    cancel: threading.Event, *, prefill: Prefill, stop_ids: set[int],
                    done: Callable[[str], bool], heal_text: str = "", vocab: VocabIndex | None = None,
                    stats: StepStats | None = None) -> list[str]:
    """The greedy text and its ``count - 1`` branches, decoded together as one batch.

    Row k is what :func:`decode_stream` gives with ``branch=k``: greedy (with token healing) up
    to the first choice whose best token writes code, the k-th best token there, then greedy.
    The shared part is computed once; after the branch point the rows advance in lockstep (same
    length, so no padding), and a row leaves the batch as soon as ``done(text)`` says its text
    is complete, a stop token or string comes, or ``max_new_tokens`` is reached.  Raises
    GenerationCancelled as soon as ``cancel`` is set.
    """
    import time

    import torch

    stats = stats or StepStats()
    stats.prompt_tokens = len(prompt_ids)
    device = next(model.parameters()).device
    started = time.perf_counter()
    if cancel.is_set():
        raise GenerationCancelled()

    def text_of(ids: list[int]) -> str:
        text = tokenizer.decode(ids, skip_special_tokens=False)
        if heal_text:
            text = text[len(heal_text):] if text.startswith(heal_text) else ""
        return _cut_at_stop(text, params.stop)

    def finished(ids: list[int]) -> bool:
        text = tokenizer.decode(ids, skip_special_tokens=False)
        if len(text) < len(heal_text):
            return False
        return len(ids) >= params.max_new_tokens or any(s and s in text for s in params.stop) or \
            done(text_of(ids))

    no_grad = torch.inference_mode
    shared: list[int] = []
    with no_grad():
        logits, cache = prefill(prompt_ids)
        stats.forward_passes += 1
        stats.prefill_s = time.perf_counter() - started
        # One row until the branch point.
        while True:
            if cancel.is_set():
                raise GenerationCancelled()
            decoded = tokenizer.decode(shared) if shared else ""
            remaining = heal_text[len(decoded):] if heal_text and len(decoded) < len(heal_text) else ""
            row = heal_mask(logits.float(), remaining, vocab)
            best = int(torch.argmax(row))
            if not remaining and tokenizer.decode([best], skip_special_tokens=False).strip():
                break  # the branch point
            if best in stop_ids:
                return [text_of(shared)]
            shared.append(best)
            if finished(shared):
                return [text_of(shared)]
            out = model(input_ids=torch.tensor([[best]], device=device), cache=cache, use_cache=True)
            logits, cache = out.logits[0, -1], out.cache
            stats.forward_passes += 1
        firsts = branch_tokens(row, count, stop_ids)
        stats.first_token_s = time.perf_counter() - started
        rows = [shared + [t] for t in firsts]
        results: list[str | None] = [None] * len(rows)
        active = []
        for i, ids in enumerate(rows):
            if ids[-1] in stop_ids:
                results[i] = text_of(ids[:-1])
            elif finished(ids):
                results[i] = text_of(ids)
            else:
                active.append(i)
        if active:
            cache.batch_repeat_interleave(len(firsts))
            if len(active) < len(firsts):
                cache.batch_select_indices(torch.tensor(active, device=device))
        while active:
            if cancel.is_set():
                raise GenerationCancelled()
            inputs = torch.tensor([[rows[i][-1]] for i in active], device=device)
            out = model(input_ids=inputs, cache=cache, use_cache=True)
            cache = out.cache
            stats.forward_passes += 1
            nxt = torch.argmax(out.logits[:, -1].float(), dim=-1).tolist()
            keep: list[int] = []
            for position, (i, token) in enumerate(zip(active, nxt, strict=True)):
                if token in stop_ids:
                    results[i] = text_of(rows[i])
                    continue
                rows[i].append(token)
                if finished(rows[i]):
                    results[i] = text_of(rows[i])
                else:
                    keep.append(position)
            if len(keep) < len(active):
                active = [active[p] for p in keep]
                if active:
                    cache.batch_select_indices(torch.tensor(keep, device=device))
    stats.generated_tokens = sum(len(r) for r in rows)
    stats.decode_s = time.perf_counter() - started - stats.prefill_s
    return [r if r is not None else "" for r in results]
