"""``ghostls finetune PATH``: adapt the local model to a workspace's code (LoRA), with figures.

Prints a progress bar (loss, time left) on stderr, the before/after table on stdout, and
saves the adapter next to the model cache.  Ctrl-C stops training between two steps, keeps
what was learned so far (the adapter is saved and measured); a second Ctrl-C aborts at once,
leaving the last checkpoint on disk.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from ghostls.settings import FinetuneSettings


def add_parser(sub: argparse._SubParsersAction) -> None:
    defaults = FinetuneSettings()
    p = sub.add_parser("finetune", help="adapt the local model to a workspace's code (LoRA adapter)")
    p.add_argument("path", help="the workspace folder to learn from")
    p.add_argument("--budget-minutes", type=float, default=defaults.budget_minutes,
                   help=f"most minutes of training (default {defaults.budget_minutes:g})")
    p.add_argument("--max-tokens", type=int, default=defaults.max_tokens,
                   help="most training tokens; 0: only the time budget (a token budget is reproducible)")
    p.add_argument("--seed", type=int, default=0, help="seed of the split, the shuffling and the LoRA init")
    p.add_argument("--model", default="", help="model setting (empty: the embedded SmolLM2; a directory; a .gguf)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    p.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16", "float16"])
    p.add_argument("--held-out", type=float, default=defaults.held_out,
                   help="share of the bytes (whole files) kept out of training to measure on")
    p.add_argument("--rank", type=int, default=defaults.lora_rank, help="LoRA rank")
    p.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    p.add_argument("--seq-tokens", type=int, default=512, help="tokens per training sequence")
    p.add_argument("--max-epochs", type=float, default=3.0, help="stop after this many passes over the data")
    p.add_argument("--eval-tokens", type=int, default=16000, help="held-out tokens scored for perplexity (0: all)")
    p.add_argument("--eval-lines", type=int, default=80, help="held-out lines for next-line exact match")
    p.add_argument("--context-tokens", type=int, default=384, help="prompt tokens for each next-line prediction")
    p.add_argument("--threads", type=int, default=0,
                   help="CPU threads for torch (0: torch's default); on a machine shared with other work, 1 "
                        "avoids threads spinning against each other")
    p.add_argument("--output", default="", help="adapter folder (default: <cache>/adapters/<model>/<workspace>-<hash>)")
    p.add_argument("--json", dest="json_out", default="", metavar="OUT", help="also save the report as JSON here")
    p.set_defaults(func=run)


class TrainBar:
    """One line on stderr: a bar, the step, the smoothed loss, tokens/s and the time left."""

    def __init__(self, stream: Any = sys.stderr, width: int = 24) -> None:
        self.stream = stream
        self.width = width
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._last_plain = -math.inf

    def __call__(self, p: Any) -> None:
        filled = int(self.width * p.fraction)
        rate = p.tokens / p.elapsed_s if p.elapsed_s > 0 else 0.0
        line = (f"[{'#' * filled}{'.' * (self.width - filled)}] {p.fraction * 100:3.0f}% step {p.step} "
                f"loss {p.loss:.3f} {rate:,.0f} tok/s {_clock(p.eta_s)} left")
        if self.tty:
            self.stream.write("\r" + line + "\x1b[K")
            self.stream.flush()
        elif p.elapsed_s - self._last_plain >= 15:  # a log file gets a line every 15 s
            self._last_plain = p.elapsed_s
            self.stream.write(line + "\n")
            self.stream.flush()

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "--:--"
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def _say(line: str) -> None:
    print(f"ghostls finetune: {line}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from ghostls.finetune.session import FinetuneError, FinetuneOptions, format_table, run_finetune
    from ghostls.finetune.train import TrainConfig

    root = Path(args.path).expanduser()
    if not root.is_dir():
        print(f"ghostls finetune: {args.path} is not a directory", file=sys.stderr)
        return 2
    if args.budget_minutes <= 0 or args.max_tokens < 0 or not 0 < args.held_out < 1:
        print("ghostls finetune: --budget-minutes must be > 0, --max-tokens >= 0, --held-out between 0 and 1",
              file=sys.stderr)
        return 2
    config = TrainConfig(seed=args.seed, budget_seconds=args.budget_minutes * 60, max_tokens=args.max_tokens,
                         max_epochs=args.max_epochs, learning_rate=args.learning_rate, rank=args.rank,
                         alpha=2 * args.rank, seq_tokens=args.seq_tokens)
    options = FinetuneOptions(workspace=root, model=args.model, device=args.device, dtype=args.dtype,
                              train=config, held_out=args.held_out, eval_tokens=args.eval_tokens,
                              eval_positions=args.eval_lines, context_tokens=args.context_tokens,
                              output=Path(args.output) if args.output else None)
    if args.threads > 0:
        import torch

        torch.set_num_threads(args.threads)
    stop = threading.Event()
    bar = TrainBar()

    def on_interrupt(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        bar.finish()
        _say("stopping after this step (Ctrl-C again aborts; the last checkpoint stays on disk)")

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        report = run_finetune(options, stop=stop, progress=bar, say=_say)
    except FinetuneError as exc:
        bar.finish()
        print(f"ghostls finetune: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, previous)
    bar.finish()
    print(format_table(report))
    training = report["training"]
    print(f"\ntrained {training['steps']} steps, {training['tokens']:,} tokens in {training['seconds']:.0f}s "
          f"(stopped: {training['stopped']}); adapter: {report['adapter']}")
    print(f"use it: set \"ghostls.finetune.adapter\": {json.dumps(report['adapter'])} "
          "(or run the ghostls.setAdapter command)")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0
