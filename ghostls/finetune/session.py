"""One fine-tuning run: data, figures before, LoRA training, adapter saved, figures after."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ghostls.finetune.evaluate import next_line_match, perplexity
from ghostls.finetune.examples import (
    SourceFile,
    Split,
    build_examples,
    collect_files,
    next_line_positions,
    split_by_file,
)
from ghostls.finetune.store import adapter_dir, base_fingerprint, save_adapter, update_metadata
from ghostls.finetune.train import TrainConfig, TrainProgress, TrainResult, add_lora, train
from ghostls.providers.base import ProviderError
from ghostls.settings import IndexSettings, PrivacySettings

log = logging.getLogger(__name__)


class FinetuneError(Exception):
    """Bad input (no files, a model that cannot load): the message says how to fix it."""


@dataclass(frozen=True)
class FinetuneOptions:
    workspace: Path
    model: str = ""
    device: str = "auto"
    dtype: str = "auto"
    profile: str = "auto"
    train: TrainConfig = field(default_factory=TrainConfig)
    held_out: float = 0.2
    eval_tokens: int = 16000  # held-out tokens scored for perplexity (0: all)
    eval_positions: int = 80  # held-out lines for next-line exact match
    context_tokens: int = 384  # prompt tokens for next-line decoding
    output: Path | None = None  # adapter folder; default next to the model cache
    index: IndexSettings = field(default_factory=IndexSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)


@dataclass
class LoadedBase:
    model: Any
    tokenizer: Any
    profile: Any
    label: str
    location: str
    device: str


def load_base(model: str, device: str = "auto", dtype: str = "auto", profile: str = "auto") -> LoadedBase:
    """The model the server would load for this ``model`` setting (same resolution and cache)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ghostls.providers.local.loading import choose_device, choose_dtype, materialize, resolve_source
    from ghostls.providers.profiles import detect_profile

    try:
        source = resolve_source(model)
        location, extra = materialize(source)
        chosen = choose_device(device)
        torch_dtype = choose_dtype(dtype, chosen)
    except ProviderError as exc:
        raise FinetuneError(exc.message) from exc
    try:
        tokenizer = AutoTokenizer.from_pretrained(location, **extra)
        lm = AutoModelForCausalLM.from_pretrained(location, dtype=torch_dtype, attn_implementation="sdpa", **extra)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise FinetuneError(f"Could not load the model {source.label!r}: {first}") from exc
    lm.to(chosen)
    lm.eval()
    try:
        prof = detect_profile(tokenizer.get_vocab().keys(), profile)
    except KeyError as exc:
        raise FinetuneError(str(exc)) from exc
    return LoadedBase(lm, tokenizer, prof, source.label, location, chosen)


def workspace_files(options: FinetuneOptions) -> list[SourceFile]:
    files = collect_files(options.workspace, options.index, options.privacy)
    if len(files) < 2:
        raise FinetuneError(f"{options.workspace} has {len(files)} code file(s) that can be used (after "
                            ".gitignore, size and privacy rules); fine-tuning needs at least 2: one to train "
                            "on, one to measure on.")
    return files


def prepare_data(options: FinetuneOptions, profile: Any,
                 files: list[SourceFile] | None = None) -> tuple[Split, list, list, list]:
    files = files if files is not None else workspace_files(options)
    split = split_by_file(files, options.held_out, options.train.seed)
    max_bytes = options.train.seq_tokens * 3
    train_examples = build_examples(split.train, profile, seed=options.train.seed, max_bytes=max_bytes)
    held_examples = build_examples(split.held_out, profile, seed=options.train.seed, max_bytes=max_bytes)
    positions = next_line_positions(split.held_out, profile, count=options.eval_positions, seed=options.train.seed)
    return split, train_examples, held_examples, positions


def measure(base: LoadedBase, model: Any, held_examples: list, positions: list,
            options: FinetuneOptions) -> dict[str, Any]:
    ppl = perplexity(model, base.tokenizer, held_examples, device=base.device,
                     seq_tokens=options.train.seq_tokens, max_tokens=options.eval_tokens)
    lines = next_line_match(model, base.tokenizer, positions, device=base.device,
                            context_tokens=options.context_tokens)
    return {"perplexity": ppl, "nextLine": lines}


def run_finetune(options: FinetuneOptions, *, stop: threading.Event | None = None,
                 progress: Callable[[TrainProgress], None] | None = None,
                 say: Callable[[str], None] = lambda line: None,
                 base: LoadedBase | None = None) -> dict[str, Any]:
    """The whole command; returns the report (also stored in the adapter's metadata)."""
    started = time.perf_counter()
    stop = stop or threading.Event()
    files = workspace_files(options)  # before the model loads: bad input fails fast
    base = base or load_base(options.model, options.device, options.dtype, options.profile)
    say(f"model {base.label} on {base.device} (profile {base.profile.name})")
    split, train_examples, held_examples, positions = prepare_data(options, base.profile, files)
    say(f"{len(split.train)} files to train on, {len(split.held_out)} held out "
        f"({', '.join(f.rel for f in split.held_out[:6])}{', ...' if len(split.held_out) > 6 else ''}); "
        f"{len(train_examples)} training examples, {len(positions)} held-out lines")
    say("measuring the base model on the held-out files ...")
    before = measure(base, base.model, held_examples, positions, options)
    peft_model = add_lora(base.model, options.train)
    out_dir = Path(options.output) if options.output else adapter_dir(base.label, options.workspace,
                                                                       split.data_hash)
    meta: dict[str, Any] = {
        "baseModel": base.label, "baseLocation": base.location, "baseFingerprint": base_fingerprint(base.model),
        "profile": base.profile.name, "workspace": str(Path(options.workspace).resolve()),
        "dataHash": split.data_hash, "trainFiles": [f.rel for f in split.train],
        "heldOutFiles": [f.rel for f in split.held_out], "seed": options.train.seed,
        "config": {k: v for k, v in vars(options.train).items()}, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                        time.gmtime()),
    }

    def checkpoint(result: TrainResult) -> None:
        save_adapter(peft_model, out_dir, {**meta, "checkpoint": True, "training": result.as_json()})

    say(f"training a rank-{options.train.rank} LoRA adapter ({_budget_text(options.train)}); Ctrl-C stops "
        "and keeps what was learned")
    result = train(peft_model, base.tokenizer, train_examples, options.train, device=base.device, stop=stop,
                   progress=progress, checkpoint=checkpoint)
    if result.steps == 0:
        raise FinetuneError(f"training stopped ({result.stopped}) before its first step; no adapter saved")
    save_adapter(peft_model, out_dir, {**meta, "training": result.as_json()})
    say(f"adapter saved in {out_dir}; measuring it on the held-out files ...")
    after = measure(base, peft_model, held_examples, positions, options)
    report = {
        "adapter": str(out_dir), "baseModel": base.label, "device": base.device, "dataHash": split.data_hash,
        "trainFiles": len(split.train), "heldOutFiles": [f.rel for f in split.held_out],
        "trainExamples": len(train_examples), "training": result.as_json(),
        "before": before, "after": after, "change": change(before, after),
        "seconds": round(time.perf_counter() - started, 1),
    }
    update_metadata(out_dir, figures={"before": _summary(before), "after": _summary(after),
                                      "change": report["change"], "training": result.as_json()})
    return report


def change(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    b, a = before["perplexity"]["perplexity"], after["perplexity"]["perplexity"]
    mb, ma = before["nextLine"]["exactMatch"], after["nextLine"]["exactMatch"]
    return {"perplexity": (a / b - 1) if (a and b) else None,
            "nextLineExactMatchPoints": (ma - mb) * 100 if (ma is not None and mb is not None) else None}


def _summary(figures: dict[str, Any]) -> dict[str, Any]:
    return {"perplexity": figures["perplexity"]["perplexity"], "nextLineExactMatch": figures["nextLine"]["exactMatch"],
            "heldOutTokens": figures["perplexity"]["tokens"], "heldOutLines": figures["nextLine"]["positions"]}


def _budget_text(config: TrainConfig) -> str:
    parts = [f"at most {config.budget_seconds / 60:.1f} min"]
    if config.max_tokens:
        parts.append(f"{config.max_tokens} tokens")
    return ", ".join(parts)


def format_table(report: dict[str, Any]) -> str:
    """The before/after figures as a small text table."""
    before, after, delta = report["before"], report["after"], report["change"]
    pb, pa = before["perplexity"]["perplexity"], after["perplexity"]["perplexity"]
    mb, ma = before["nextLine"]["exactMatch"], after["nextLine"]["exactMatch"]
    rows = [("", "before", "after", "change"),
            ("held-out perplexity", _num(pb), _num(pa),
             f"{delta['perplexity'] * 100:+.1f}%" if delta["perplexity"] is not None else "-"),
            (f"next-line exact match ({after['nextLine']['positions']} lines)", _pct(mb), _pct(ma),
             f"{delta['nextLineExactMatchPoints']:+.1f} pts" if delta["nextLineExactMatchPoints"] is not None
             else "-")]
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{r[0]:<{width}}  {r[1]:>8}  {r[2]:>8}  {r[3]:>9}" for r in rows)


def _num(value: float | None) -> str:
    return f"{value:.3f}" if value is not None else "-"


def _pct(value: float | None) -> str:
    return f"{value * 100:.1f}%" if value is not None else "-"
