"""The local provider: a causal language model run in-process with transformers + torch."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Iterator

from ghostls.providers.base import (
    ChatMessage,
    GenerationParams,
    PromptParts,
    ProviderError,
    RenderedPrompt,
    Segment,
)
from ghostls.providers.local.decoding import StepStats, VocabIndex, decode_stream, heal_prompt
from ghostls.providers.local.loading import choose_device, choose_dtype, materialize, resolve_source
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
    """Loads a model once and generates from it, one request at a time."""

    name = "local"

    def __init__(self, model: str = "", device: str = "auto", dtype: str = "auto",
                 profile: str = "auto", context_size: int = 2048,
                 progress: Callable[[str, int | None], None] | None = None) -> None:
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
        self.source_label = ""
        self.last_stats = StepStats()
        self._counter: TokenizerCounter | None = None
        self._vocab: VocabIndex | None = None
        self._stop_ids: set[int] = set()
        self._special_ids: set[int] = set()
        self._lock = threading.Lock()
        self._load_lock = threading.RLock()

    # -- loading ---------------------------------------------------------------------------
    def load(self) -> None:
        with self._load_lock:
            if self.model is not None:
                return
            started = time.perf_counter()
            source = resolve_source(self.model_setting)
            self.source_label = source.label
            self.progress(f"Preparing {source.label}", 5)
            location, extra = materialize(source)
            self.device = choose_device(self.device_setting)
            self.dtype = choose_dtype(self.dtype_setting, self.device)
            self.progress(f"Loading {source.label} on {self.device}", 40)
            self._load_weights(location, extra, source)
            self.progress("Warming up", 90)
            self._warm_up()
            self.load_seconds = time.perf_counter() - started
            log.info("model %s loaded on %s (%s) in %.2fs, profile %s, %s", source.label, self.device,
                     str(self.dtype).replace("torch.", ""), self.load_seconds, self.profile.name,
                     _format_bytes(self.memory_bytes()))

    def _load_weights(self, location: str, extra: dict[str, Any], source: Any) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(location, **extra)
            model = AutoModelForCausalLM.from_pretrained(location, dtype=self.dtype,
                                                         attn_implementation="sdpa", **extra)
        except torch.cuda.OutOfMemoryError as exc:
            raise ProviderError(
                f"Out of GPU memory loading {source.label}: set 'ghostls.device' to 'cpu' or pick a "
                "smaller model.", kind="oom") from exc
        except OSError as exc:
            hint = (" No model hub is reachable from here: download the model on a connected machine "
                    "and set 'ghostls.model' to its directory.") if source.kind == "hub" else ""
            raise ProviderError(f"Could not load the model {source.label!r} ('ghostls.model'): "
                                f"{str(exc).splitlines()[0]}.{hint}", kind="model-missing") from exc
        except (ValueError, KeyError, RuntimeError) as exc:
            raise ProviderError(f"The model {source.label!r} ('ghostls.model') looks corrupt or "
                                f"unsupported: {str(exc).splitlines()[0]}", kind="model-corrupt") from exc
        model.to(self.device)
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
        self._vocab = VocabIndex(tokenizer)

    def _warm_up(self) -> None:
        list(self.stream(RenderedPrompt(text="def main():\n"), GenerationParams(max_new_tokens=2),
                         threading.Event()))

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
        if self.model is None:
            return 0
        return sum(p.numel() * p.element_size() for p in self.model.parameters())

    def status(self) -> dict[str, Any]:
        return {
            "provider": self.name,
            "model": self.source_label or (self.model_setting or "embedded"),
            "loaded": self.model is not None,
            "device": self.device,
            "dtype": str(self.dtype).replace("torch.", "") if self.dtype is not None else None,
            "profile": self.profile.name if self.profile else None,
            "contextWindow": self.context_window if self.model is not None else None,
            "memoryBytes": self.memory_bytes(),
            "loadSeconds": round(self.load_seconds, 3),
            "lastRequest": vars(self.last_stats),
        }

    # -- prompts ---------------------------------------------------------------------------
    def render(self, parts: PromptParts, budget: int | None = None) -> RenderedPrompt:
        assert self.profile is not None
        text, segments = self.profile.layout(parts)
        counted = tuple(Segment(**{**vars(s), "tokens": self.counter.count(text[s.start:s.end])})
                        for s in segments)
        return RenderedPrompt(text=text, segments=counted, token_count=self.counter.count(text),
                              profile=self.profile.name)

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
    def _prefill(self, ids: list[int]) -> tuple[Any, Any]:
        import torch

        out = self.model(input_ids=torch.tensor([ids], device=self.model.device), use_cache=True)
        return out.logits[0, -1], out.past_key_values

    def stream(self, prompt: RenderedPrompt, params: GenerationParams,
               cancel: threading.Event) -> Iterator[str]:
        import torch

        self.load()
        ids = self.counter.encode(prompt.text)
        if not ids:
            return
        heal_text = ""
        if not prompt.extra.get("chat"):
            ids, heal_text = heal_prompt(ids, self.tokenizer, self._special_ids)
        stats = StepStats()
        with self._lock:
            try:
                yield from decode_stream(self.model, self.tokenizer, ids, params, cancel,
                                         prefill=self._prefill, stop_ids=self._stop_ids,
                                         heal_text=heal_text, vocab=self._vocab, stats=stats)
            except torch.cuda.OutOfMemoryError as exc:
                torch.cuda.empty_cache()
                raise ProviderError("Out of GPU memory while generating: lower 'ghostls.contextSize' "
                                    "or set 'ghostls.device' to 'cpu'.", kind="oom") from exc
            finally:
                self.last_stats = stats

    def close(self) -> None:
        self.model = None


def _format_bytes(n: int) -> str:
    return f"{n / 2**20:.0f} MiB"
