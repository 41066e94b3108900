"""Fine-tuning benchmark: the embedded SmolLM2 adapted to a real codebase nobody here wrote.

Default workspace: CPython's ``email`` package (``os.path.dirname(os.__file__) + "/email"``),
held-out files (whole files, by a seeded hash) never trained on.  In one run it measures:
  * the baseline (the base model) and the adapted model on the SAME held-out data:
    perplexity and next-line exact match, with the ratio after/before;
  * training step time p50/p95 (ms per step, tokens/s), and next-line decode time p50/p95
    per held-out line for the base and the adapted model;
  * where the adapter went and how long everything took.

Usage: .venv/bin/python bench/finetune_bench.py [--workspace DIR] [--budget-minutes 10] [--threads 1]
       [--max-tokens N] [--device auto|cpu|cuda] [--model ...] [--json OUT]
Not a test: numbers depend on the machine and on what else runs on it (say so when reporting).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ghostls.finetune.evaluate import greedy_line  # noqa: E402
from ghostls.finetune.session import FinetuneOptions, format_table, run_finetune  # noqa: E402
from ghostls.finetune.train import TrainConfig  # noqa: E402


def _pcts(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p95": float("nan"), "n": 0}
    ordered = sorted(values)
    return {"p50": statistics.median(ordered), "p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
            "n": len(ordered)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspace", default=os.path.join(os.path.dirname(os.__file__), "email"))
    ap.add_argument("--model", default="")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--budget-minutes", type=float, default=10.0)
    ap.add_argument("--max-tokens", type=int, default=0)
    ap.add_argument("--learning-rate", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    ap.add_argument("--eval-tokens", type=int, default=4000)
    ap.add_argument("--eval-lines", type=int, default=20)
    ap.add_argument("--context-tokens", type=int, default=256)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default="")
    args = ap.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    step_times: list[float] = []
    step_tokens: list[int] = []
    last = {"t": 0.0, "tokens": 0}

    def on_step(p: Any) -> None:
        step_times.append((p.elapsed_s - last["t"]) * 1000)
        step_tokens.append(p.tokens - last["tokens"])
        last.update(t=p.elapsed_s, tokens=p.tokens)

    line_times: dict[str, list[float]] = {"base": [], "adapted": []}
    original = greedy_line

    def timed_line(*a: Any, **k: Any) -> Any:  # record each held-out line's decode time
        started = time.perf_counter()
        try:
            return original(*a, **k)
        finally:
            line_times["adapted" if step_times else "base"].append((time.perf_counter() - started) * 1000)

    import ghostls.finetune.evaluate as evaluate

    evaluate.greedy_line = timed_line
    config = TrainConfig(seed=args.seed, budget_seconds=args.budget_minutes * 60, max_tokens=args.max_tokens,
                         learning_rate=args.learning_rate)
    options = FinetuneOptions(workspace=Path(args.workspace), model=args.model, device=args.device, train=config,
                              eval_tokens=args.eval_tokens, eval_positions=args.eval_lines,
                              context_tokens=args.context_tokens,
                              output=Path(os.environ.get("TMPDIR", "/tmp")) / f"ghostls-finetune-bench-{os.getpid()}")
    started = time.perf_counter()
    report = run_finetune(options, progress=on_step, say=lambda line: print(line, file=sys.stderr, flush=True))
    total = time.perf_counter() - started
    before, after = report["before"], report["after"]
    ppl_ratio = after["perplexity"]["perplexity"] / before["perplexity"]["perplexity"]
    steps = _pcts(step_times)
    print(f"workspace {args.workspace}; model {report['baseModel']} on {report['device']}; "
          f"torch threads {torch.get_num_threads()}")
    print(format_table(report))
    print(f"perplexity ratio adapted/base: {ppl_ratio:.3f}  (goal <= 0.80)")
    t = report["training"]
    print(f"training: {t['steps']} steps, {t['tokens']:,} tokens, {t['seconds']:.0f}s, stopped: {t['stopped']}; "
          f"step p50 {steps['p50']:.0f} ms p95 {steps['p95']:.0f} ms; "
          f"{t['tokens'] / max(t['seconds'], 1e-9):.1f} tokens/s")
    for name, values in line_times.items():
        s = _pcts(values)
        print(f"next-line decode ({name}): p50 {s['p50']:.0f} ms p95 {s['p95']:.0f} ms over {s['n']} lines")
    base_p50, adapted_p50 = _pcts(line_times["base"])["p50"], _pcts(line_times["adapted"])["p50"]
    print(f"decode time ratio adapted/base (p50): {adapted_p50 / base_p50:.2f}" if base_p50 else "")
    print(f"total {total:.0f}s; adapter in {report['adapter']}")
    if args.json:
        Path(args.json).write_text(json.dumps({**report, "perplexityRatio": ppl_ratio, "stepMs": steps,
                                               "lineMs": {k: _pcts(v) for k, v in line_times.items()}}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
