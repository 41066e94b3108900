"""The local provider: a causal language model run in-process with transformers + torch."""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from ghostls.providers.base import (
    ChatMessage,
    GenerationCancelled,
    GenerationParams,
    PromptParts,
    ProviderError,
    RenderedPrompt,
    Segment,
)
from ghostls.providers.local.decoding import StepStats, VocabIndex, decode_branches, decode_stream, heal_prompt
from ghostls.providers.local.kv_cache import PrefixCache, StaticSlot, common_prefix_len, fork
from ghostls.providers.local.loading import (
    choose_device,
    choose_dtype,
    device_memory,
    is_out_of_memory,
    load_vocab_index,
    materialize,
    resolve_source,
)
from ghostls.providers.local.scheduler import ModelScheduler
from ghostls.providers.profiles import ModelProfile, detect_profile

log = logging.getLogger(__name__)


class TokenizerCounter:
    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    def count(self, text: str) -> int:
        if not text:
            return 0
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])


class LocalProvider:
    """Loads a model once and generates from it, one request at a time, newest request first.

    Keeps the key/value caches of recent prompts (``kv_cache_mb``) so that the next keystroke's
    prompt, which shares all but its last few tokens, computes only those.
    """

    name = "local"

    def __init__(self, model: str = "", device: str = "auto", dtype: str = "auto",
                 profile: str = "auto", context_size: int = 2048,
                 progress: Callable[[str, int | None], None] | None = None, *,
                 kv_cache_mb: int = 512, prompt_lookup: int = 8, compile: bool = False,
                 static_cache: bool | None = None, threads: int = 0) -> None:
        self.model_setting = model
        self.device_setting = device
        self.dtype_setting = dtype
        self.profile_setting = profile
        self.requested_context = context_size
        self.progress = progress or (lambda message, percent: None)
        self.model: Any = None
        self.tokenizer: Any = None
        self.profile: ModelProfile | None = None
        self.device = "cpu"
        self.dtype: Any = None
        self.load_seconds = 0.0
        self.load_phases: dict[str, float] = {}
        self.source_label = ""
        self.last_stats = StepStats()
        self.kv_cache_mb = kv_cache_mb
        self.prompt_lookup = prompt_lookup
        self.compile_requested = compile
        self.threads = threads
        self.static_cache_requested = static_cache
        self.compiled = False
        self.scheduler = ModelScheduler()
        self.prefix_cache: PrefixCache | StaticSlot = PrefixCache(kv_cache_mb * 2**20)
        self._decode_model: Any = None
        self._counter: TokenizerCounter | None = None
        self._vocab: VocabIndex | None = None
        self._stop_ids: set[int] = set()
        self._special_ids: set[int] = set()
        self._load_lock = threading.RLock()

    @classmethod
    def from_settings(cls, settings: Any, progress: Callable[[str, int | None], None] | None = None
                      ) -> LocalProvider:
        engine = settings.engine
        return cls(model=settings.model, device=settings.device, dtype=settings.dtype,
                   profile=settings.model_profile, context_size=settings.context_size, progress=progress,
                   kv_cache_mb=engine.kv_cache_mb, prompt_lookup=engine.prompt_lookup,
                   compile=engine.compile, threads=engine.threads)

    # -- loading ---------------------------------------------------------------------------
    def load(self) -> None:
        with self._load_lock:
            if self.model is not None:
                return
            started = time.perf_counter()
            phases: dict[str, float] = {}
            source = resolve_source(self.model_setting)
            self.source_label = source.label
            self.progress(f"Preparing {source.label}", 5)
            location, extra = materialize(source)
            self.device = choose_device(self.device_setting)
            self.dtype = choose_dtype(self.dtype_setting, self.device)
            if self.threads > 0:
                import torch

                torch.set_num_threads(self.threads)
            phases["prepare"] = time.perf_counter() - started
            self.progress(f"Loading {source.label} on {self.device}", 40)
            self._load_weights(location, extra, source, phases)
            mark = time.perf_counter()
            self._setup_engine()
            phases["engine"] = time.perf_counter() - mark
            self.progress("Warming up", 90)
            mark = time.perf_counter()
            self._warm_up()
            phases["warmup"] = time.perf_counter() - mark
            self.load_seconds = time.perf_counter() - started
            self.load_phases = {k: round(v, 3) for k, v in phases.items()}
            log.info("model %s loaded on %s (%s, %s threads) in %.2fs (%s), profile %s, weights %s%s",
                     source.label, self.device, str(self.dtype).replace("torch.", ""), _torch_threads(),
                     self.load_seconds,
                     ", ".join(f"{k} {v:.2f}s" for k, v in phases.items()), self.profile.name,
                     _format_bytes(self.memory_bytes()),
                     ", static cache + torch.compile" if self.compiled else "")

    def _load_weights(self, location: str, extra: dict[str, Any], source: Any,
                      phases: dict[str, float]) -> None:
        mark = time.perf_counter()
        from transformers import AutoModelForCausalLM, AutoTokenizer

        phases["import"] = time.perf_counter() - mark
        try:
            mark = time.perf_counter()
            tokenizer = AutoTokenizer.from_pretrained(location, **extra)
            phases["tokenizer"] = time.perf_counter() - mark
            mark = time.perf_counter()
            model = AutoModelForCausalLM.from_pretrained(location, dtype=self.dtype,
                                                         attn_implementation="sdpa", **extra)
            model.to(self.device)
            phases["weights"] = time.perf_counter() - mark
        except (OSError, ValueError, KeyError, RuntimeError, MemoryError) as exc:
            raise self._load_error(exc, source) from exc
        model.eval()
        self.tokenizer = tokenizer
        self.model = model
        self._counter = TokenizerCounter(tokenizer)
        vocab = tokenizer.get_vocab()
        try:
            self.profile = detect_profile(vocab.keys(), self.profile_setting)
        except KeyError as exc:
            log.warning("%s; detecting the profile instead", exc)
            self.profile = detect_profile(vocab.keys())
        added = getattr(tokenizer, "added_tokens_decoder", {}) or {}
        self._special_ids = set(tokenizer.all_special_ids or []) | {i for i, t in added.items()
                                                                   if getattr(t, "special", False)}
        # Generated text never contains special tokens: any of them ends the generation.
        stop_ids = {vocab[t] for t in self.profile.stop if t in vocab} | self._special_ids
        if tokenizer.eos_token_id is not None:
            stop_ids.add(tokenizer.eos_token_id)
        self._stop_ids = stop_ids
        mark = time.perf_counter()
        self._vocab = load_vocab_index(location, tokenizer)
        phases["vocab"] = time.perf_counter() - mark

    def _load_error(self, exc: BaseException, source: Any) -> ProviderError:
        import torch

        if is_out_of_memory(exc):
            self._free_device_memory()
            where = "GPU" if self.device != "cpu" else "host"
            return ProviderError(
                f"Out of {where} memory loading {source.label}: pick a smaller model"
                + (", or set 'ghostls.device' to 'cpu'" if self.device != "cpu" else "")
                + (", or set 'ghostls.dtype' to 'bfloat16'" if self.dtype == torch.float32 else "")
                + ".", kind="oom")
        first_line = (str(exc).splitlines() or [type(exc).__name__])[0]
        if isinstance(exc, OSError):
            hint = (" No model hub is reachable from here: download the model on a connected machine "
                    "and set 'ghostls.model' to its directory.") if source.kind == "hub" else ""
            return ProviderError(f"Could not load the model {source.label!r} ('ghostls.model'): "
                                 f"{first_line}.{hint}", kind="model-missing")
        return ProviderError(f"The model {source.label!r} ('ghostls.model') looks corrupt or "
                             f"unsupported: {first_line}", kind="model-corrupt")

    def _setup_engine(self) -> None:
        """The key/value cache store, and the compiled decode step where asked for."""
        static = self.static_cache_requested
        if static is None:
            static = self.compile_requested and self.device == "cuda"
        if self.compile_requested and self.device != "cuda":
            log.info("engine.compile applies on CUDA only; %s runs eagerly", self.device)
        if static:
            self.prefix_cache = StaticSlot(self._new_static_cache)
        else:
            self.prefix_cache = PrefixCache(self.kv_cache_mb * 2**20)
        if self.compile_requested and self.device == "cuda":
            import torch

            self._decode_model = torch.compile(self.model, mode="reduce-overhead", fullgraph=False)
            self.compiled = True

    def _new_static_cache(self) -> Any:
        from transformers import StaticCache

        return StaticCache(config=self.model.config, max_cache_len=self.context_window + 2048 + 64)

    def _new_cache(self) -> Any:
        from transformers import DynamicCache

        return DynamicCache(config=self.model.config)

    def _warm_up(self) -> None:
        warm = "def main():\n    return 0\n"
        params = GenerationParams(max_new_tokens=3 if self.compiled else 2)
        list(self.stream(RenderedPrompt(text=warm), params, threading.Event()))
        if self.compiled:  # the second run takes the CUDA-graph path
            list(self.stream(RenderedPrompt(text=warm), params, threading.Event()))
        self.prefix_cache.clear()

    # -- facts -----------------------------------------------------------------------------
    @property
    def context_window(self) -> int:
        limit = getattr(getattr(self.model, "config", None), "max_position_embeddings", None) or 2048
        return min(int(limit), self.requested_context)

    @property
    def counter(self) -> TokenizerCounter:
        if self._counter is None:
            self.load()
        assert self._counter is not None
        return self._counter

    def memory_bytes(self) -> int:
        """Bytes of the weights (parameters and buffers)."""
        if self.model is None:
            return 0
        tensors = list(self.model.parameters()) + list(self.model.buffers())
        seen: set[int] = set()
        total = 0
        for t in tensors:
            if t.data_ptr() in seen:  # tied weights
                continue
            seen.add(t.data_ptr())
            total += t.numel() * t.element_size()
        return total

    def status(self) -> dict[str, Any]:
        memory: dict[str, Any] = {"weightsBytes": self.memory_bytes()}
        if self.model is not None:
            cache = self.prefix_cache.snapshot()
            memory["kvCacheBytes"] = cache["bytes"]
            memory.update(device_memory(self.device))
        rss = _rss_bytes()
        if rss:
            memory["processRssBytes"] = rss
        return {
            "provider": self.name,
            "model": self.source_label or (self.model_setting or "embedded"),
            "loaded": self.model is not None,
            "device": self.device,
            "dtype": str(self.dtype).replace("torch.", "") if self.dtype is not None else None,
            "profile": self.profile.name if self.profile else None,
            "contextWindow": self.context_window if self.model is not None else None,
            "memoryBytes": self.memory_bytes(),
            "memory": memory,
            "loadSeconds": round(self.load_seconds, 3),
            "loadPhases": dict(self.load_phases),
            "engine": {
                "attention": getattr(getattr(self.model, "config", None), "_attn_implementation", None),
                "kvCacheMb": self.kv_cache_mb,
                "promptLookup": self.prompt_lookup,
                "compiled": self.compiled,
                "threads": _torch_threads(),
                "prefixCache": self.prefix_cache.snapshot() if self.model is not None else None,
                "waitingRequests": self.scheduler.waiting,
                "busy": self.scheduler.busy,
            },
            "lastRequest": vars(self.last_stats),
        }

    # -- prompts ---------------------------------------------------------------------------
    def render(self, parts: PromptParts, budget: int | None = None) -> RenderedPrompt:
        assert self.profile is not None
        text, segments = self.profile.layout(parts)
        total, per_segment = self._count_segments(text, segments)
        counted = tuple(Segment(**{**vars(s), "tokens": n}) for s, n in zip(segments, per_segment, strict=True))
        return RenderedPrompt(text=text, segments=counted, token_count=total, profile=self.profile.name)

    def _count_segments(self, text: str, segments: tuple[Segment, ...]) -> tuple[int, list[int]]:
        """Token count of ``text`` and of each segment, from one tokenization of the whole prompt
        (a token belongs to the segment its first character is in)."""
        if not getattr(self.tokenizer, "is_fast", False):
            return self.counter.count(text), [self.counter.count(text[s.start:s.end]) for s in segments]
        offsets = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
        starts = [s.start for s in segments]
        per_segment = [0] * len(segments)
        for begin, _ in offsets:
            i = bisect.bisect_right(starts, begin) - 1
            if i >= 0:
                per_segment[i] += 1
        return len(offsets), per_segment

    def render_chat(self, messages: list[ChatMessage]) -> RenderedPrompt:
        if self.tokenizer is None:
            self.load()
        dicts = [{"role": m.role, "content": m.content} for m in messages]
        if getattr(self.tokenizer, "chat_template", None):
            text = self.tokenizer.apply_chat_template(dicts, tokenize=False, add_generation_prompt=True)
        else:
            text = "".join(f"{m.role.upper()}: {m.content}\n\n" for m in messages) + "ASSISTANT: "
        return RenderedPrompt(text=text, messages=tuple(messages), token_count=self.counter.count(text),
                              profile="chat-template", extra={"chat": True})

    # -- generation ------------------------------------------------------------------------
    def _forward(self, ids: list[int], cache: Any, *, last_only: bool = False) -> tuple[Any, Any]:
        import torch

        model = self._decode_model if (self._decode_model is not None and len(ids) == 1) else self.model
        out = model(input_ids=torch.tensor([ids], device=self.device), cache=cache, use_cache=True,
                    logits_to_keep=1 if last_only else 0)
        logits = out.logits[0]
        if model is not self.model:  # CUDA-graph outputs are overwritten by the next replay
            logits = logits.clone()
        return logits, out.cache

    def _prefill(self, ids: list[int], stats: StepStats) -> tuple[Any, Any]:
        hit = self.prefix_cache.take(ids)
        cache = hit.cache if hit.cache is not None else self._new_cache()
        stats.reused_tokens = hit.reused
        logits, cache = self._forward(ids[hit.reused:], cache, last_only=True)
        return logits[-1], cache

    def stream(self, prompt: RenderedPrompt, params: GenerationParams,
               cancel: threading.Event) -> Iterator[str]:
        """Queue a generation; it runs when the model is free and no newer request waits."""
        ticket = self.scheduler.ticket()
        return self._generate(ticket, prompt, params, cancel)

    def _generate(self, ticket: int, prompt: RenderedPrompt, params: GenerationParams,
                  cancel: threading.Event) -> Iterator[str]:
        self.load()
        ids = self.counter.encode(prompt.text)
        if not ids:
            return
        heal_text = ""
        if not prompt.extra.get("chat"):
            ids, heal_text = heal_prompt(ids, self.tokenizer, self._special_ids)
        stats = StepStats()
        with self.scheduler.hold(cancel, ticket), self._out_of_memory_is_an_error(len(ids)):
            try:
                yield from decode_stream(self.model, self.tokenizer, ids, params, cancel,
                                         prefill=lambda p: self._prefill(p, stats), forward=self._forward,
                                         keep=self.prefix_cache.put, stop_ids=self._stop_ids,
                                         heal_text=heal_text, vocab=self._vocab, stats=stats,
                                         # Drafting from the prompt pays off for code, not for prose
                                         # answers to chat prompts (measured 2x slower there).
                                         draft_tokens=0 if prompt.extra.get("chat") else self.prompt_lookup)
            finally:
                self.last_stats = stats

    def alternatives(self, prompt: RenderedPrompt, params: GenerationParams, count: int,
                     done: Callable[[str], bool], cancel: threading.Event) -> list[str]:
        """The greedy text and ``count - 1`` greedy branches (``GenerationParams.branch`` 0..count-1),
        each ending as soon as ``done(text)``.  Decoded as one batch after the shared part; one
        at a time where the cache cannot grow a batch (the static cache of ``engine.compile``)."""
        self.load()
        if count <= 1 or isinstance(self.prefix_cache, StaticSlot) or prompt.extra.get("chat"):
            return [self._until_done(prompt, replace(params, branch=k), done, cancel) for k in range(count)]
        ids = self.counter.encode(prompt.text)
        if not ids:
            return [""] * count
        ids, heal_text = heal_prompt(ids, self.tokenizer, self._special_ids)
        stats = StepStats()

        def prefill(p: list[int]) -> tuple[Any, Any]:
            logits, cache = self._prefill(p, stats)
            twin = fork(cache, len(p))  # the prompt's entry stays for the scoring pass
            if twin is None:
                return logits, cache
            self.prefix_cache.put(p, cache)
            return logits, twin

        with self.scheduler.hold(cancel), self._out_of_memory_is_an_error(len(ids)):
            try:
                return decode_branches(self.model, self.tokenizer, ids, params, count, cancel, prefill=prefill,
                                       stop_ids=self._stop_ids, done=done, heal_text=heal_text, vocab=self._vocab,
                                       stats=stats)
            finally:
                self.last_stats = stats

    def _until_done(self, prompt: RenderedPrompt, params: GenerationParams, done: Callable[[str], bool],
                    cancel: threading.Event) -> str:
        text = ""
        stream = self.stream(prompt, params, cancel)
        try:
            for chunk in stream:
                text += chunk
                if done(text):
                    break
        finally:
            stream.close()
        return text

    def score(self, prompt: RenderedPrompt, continuations: Sequence[str],
              cancel: threading.Event) -> list[float]:
        """Log-probability of each continuation right after ``prompt`` (teacher-forced).

        The joint text is tokenized as the model would see it, so a continuation that merges
        with the prompt's last token is scored fairly: every continuation is scored from the
        same token position (where the first of them departs from the prompt's own tokens).
        The prompt's key/values come from the prefix cache, and all continuations go through
        the model as one right-padded batch (padding after a row's tokens cannot change them
        under causal attention).  Comparable across continuations of the same prompt only.
        """
        self.load()
        if not continuations:
            return []
        base = self.counter.encode(prompt.text)
        joint = [self.counter.encode(prompt.text + text) for text in continuations]
        start = max(1, min(min(common_prefix_len(base, ids) for ids in joint), len(base)))
        import torch

        with self.scheduler.hold(cancel), self._out_of_memory_is_an_error(max(len(ids) for ids in joint)), \
                torch.inference_mode():
            if cancel.is_set():
                raise GenerationCancelled()
            if isinstance(self.prefix_cache, StaticSlot):
                return [self._score_one(ids, start) for ids in joint]
            hit = self.prefix_cache.take(joint[0][:start])
            cache, reused = hit.cache, hit.reused
            if cache is None:  # compute the shared prompt once, not once per row
                reused, cache = start - 1, self._new_cache()
                if reused:
                    _, cache = self._forward(joint[0][:reused], cache, last_only=True)
            rows = [ids[reused:] for ids in joint]
            width = max(len(r) for r in rows)
            pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
            cache.batch_repeat_interleave(len(rows))
            out = self.model(input_ids=torch.tensor([r + [pad] * (width - len(r)) for r in rows], device=self.device),
                             cache=cache, use_cache=True)
            scores = []
            for i, ids in enumerate(joint):
                scores.append(_sum_log_probs(out.logits[i], ids, start, reused))
            return scores

    def _score_one(self, ids: list[int], start: int) -> float:
        if len(ids) <= start:
            return 0.0
        hit = self.prefix_cache.take(ids[:start])
        logits, cache = self._forward(ids[hit.reused:], hit.cache if hit.cache is not None else self._new_cache())
        self.prefix_cache.put(ids, cache)  # the one static cache: record what it holds now
        return _sum_log_probs(logits, ids, start, hit.reused)

    @contextmanager
    def _out_of_memory_is_an_error(self, prompt_tokens: int) -> Iterator[None]:
        try:
            yield
        except Exception as exc:
            if not is_out_of_memory(exc):
                raise
            self.prefix_cache.clear()
            self._free_device_memory()
            where = "GPU" if self.device != "cpu" else "host"
            raise ProviderError(
                f"Out of {where} memory while generating from a {prompt_tokens}-token prompt: lower "
                "'ghostls.contextSize' or 'ghostls.engine.kvCacheMb'"
                + (", or set 'ghostls.device' to 'cpu'" if self.device != "cpu" else "") + ".",
                kind="oom") from exc

    def _free_device_memory(self) -> None:
        import torch

        if self.device == "cuda" and torch.cuda.is_available():
            torch.cuda.empty_cache()

    def close(self) -> None:
        self.prefix_cache.clear()
        self.model = None
        self._decode_model = None


def _sum_log_probs(logits: Any, ids: list[int], start: int, offset: int) -> float:
    """Sum of log P(ids[t]) for t >= start, from logits of ids[offset:] (row j predicts offset+j+1)."""
    import torch

    if len(ids) <= start:
        return 0.0
    rows = logits[start - 1 - offset: len(ids) - 1 - offset].float()
    targets = torch.tensor(ids[start:], device=rows.device)
    return float(torch.log_softmax(rows, dim=-1).gather(1, targets[:, None]).sum())


def _torch_threads() -> int | None:
    import sys

    torch = sys.modules.get("torch")  # status never imports torch by itself
    # While another thread is still importing torch, the module is there but half initialised.
    get_num_threads = getattr(torch, "get_num_threads", None)
    return get_num_threads() if get_num_threads is not None else None


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            import os

            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _format_bytes(n: int) -> str:
    return f"{n / 2**20:.0f} MiB"
