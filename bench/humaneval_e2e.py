"""End to end with the embedded SmolLM2-135M on HumanEval single-line infilling (Python).

Two systems in the same run, on the same seeded subset of tasks, with the same model:

* pipeline: ``run_completion`` (shape, prompt layout and budget, token healing, streaming early
  stop, post-processing), an explicit request at the cursor;
* no-rerank: the same pipeline with ``inline.rerank`` 0 (greedy only: what the pipeline did before
  suffix-aware reranking), to show what that stage adds;
* naive: the raw prefix in, greedy generation, the first line out (what a bare model call gives).

Scores: exact match of the suggestion with the canonical line (whitespace at line ends ignored)
and pass@1 (the task's tests run on prefix + suggestion + suffix in a subprocess, 10 s limit).

    .venv/bin/python bench/humaneval_e2e.py [--tasks 30] [--seed 0] [--threads N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ghostls.completion.pipeline import run_completion  # noqa: E402
from ghostls.completion.request import CompletionRequest  # noqa: E402
from ghostls.providers.base import GenerationParams, RenderedPrompt  # noqa: E402
from ghostls.settings import parse_settings  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "humaneval-infilling" / "HumanEval-SingleLineInfilling.jsonl.gz"


def normalize(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def passes(task: dict, document: str) -> bool:
    program = document + "\n" + task["test"] + f"\n\ncheck({task['entry_point']})\n"
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(program)
        path = f.name
    try:
        done = subprocess.run([sys.executable, path], capture_output=True, timeout=10)
        return done.returncode == 0
    except subprocess.TimeoutExpired:
        return False
    finally:
        os.unlink(path)


def naive(provider, task: dict, max_new_tokens: int) -> tuple[str, float]:
    started = time.perf_counter()
    text = ""
    stream = provider.stream(RenderedPrompt(text=task["prompt"]), GenerationParams(
        max_new_tokens=max_new_tokens, stop=tuple(provider.profile.stop)), threading.Event())
    for chunk in stream:
        text += chunk
        if "\n" in text:
            break
    stream.close()
    return text.split("\n")[0], time.perf_counter() - started


def pipeline(provider, settings, task: dict) -> tuple[str, int, float]:
    request = CompletionRequest(text=task["prompt"] + task["suffix"], offset=len(task["prompt"]),
                                path="solution.py", language="python", invoked=True)
    started = time.perf_counter()
    result = run_completion(request, provider, settings, threading.Event())
    elapsed = time.perf_counter() - started
    if not result.items:
        return "", 0, elapsed
    item = result.items[0]
    return item.text, item.end - item.start, elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tasks", type=int, default=30, help="size of the seeded random subset (1,033 in all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-new-tokens", type=int, default=48)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = ap.parse_args()

    from ghostls.providers.embedded import ensure_embedded_model
    from ghostls.providers.local.provider import LocalProvider

    tasks = [json.loads(line) for line in gzip.open(DATA, "rt")]
    subset = random.Random(args.seed).sample(tasks, min(args.tasks, len(tasks)))
    provider = LocalProvider(model=str(ensure_embedded_model()), threads=args.threads)
    provider.load()
    configs = {}
    for name, raw in (("pipeline", {}), ("no-rerank", {"inline": {"rerank": 0}})):
        settings, problems = parse_settings({"maxNewTokens": args.max_new_tokens, **raw})
        assert not problems, problems
        configs[name] = settings
    rows = {name: {"exact": 0, "pass": 0, "empty": 0, "t": []} for name in (*configs, "naive")}
    started = time.perf_counter()
    for n, task in enumerate(subset, 1):
        middle = task["canonical_solution"]
        shown = []
        for name, settings in configs.items():
            text, end, seconds = pipeline(provider, settings, task)
            r = rows[name]
            ok = passes(task, task["prompt"] + text + task["suffix"][end:])
            r["exact"] += normalize(text) == normalize(middle) and end == 0
            r["pass"] += ok
            r["empty"] += not text.strip()
            r["t"].append(seconds)
            shown.append(f"{name} {text!r} (pass={ok})")
        line, seconds = naive(provider, task, args.max_new_tokens)
        r = rows["naive"]
        ok = passes(task, task["prompt"] + line + "\n" + task["suffix"])
        r["exact"] += normalize(line) == normalize(middle)
        r["pass"] += ok
        r["empty"] += not line.strip()
        r["t"].append(seconds)
        shown.append(f"naive {line!r} (pass={ok})")
        print(f"[{n}/{len(subset)}] {task['task_id']}: " + " | ".join(shown) + f" | want {middle!r}",
              file=sys.stderr, flush=True)
    n = len(subset)
    print(f"HumanEval single-line infilling, {n} tasks (seed {args.seed}), embedded SmolLM2-135M-Instruct, "
          f"greedy, maxNewTokens {args.max_new_tokens}, {time.perf_counter() - started:.0f} s, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'system':<10} {'exact':>7} {'pass@1':>7} {'empty':>6} {'p50 s':>6} {'p95 s':>6}")
    for name, r in rows.items():
        ts = sorted(r["t"])
        print(f"{name:<10} {r['exact'] / n:>7.1%} {r['pass'] / n:>7.1%} "
              f"{r['empty'] / n:>6.1%} {statistics.median(ts):>6.2f} {ts[int(0.95 * (n - 1))]:>6.2f}")
    b = rows["naive"]
    for name in configs:
        p = rows[name]
        print(f"{name} - naive: exact {100 * (p['exact'] - b['exact']) / n:+.1f} points, "
              f"pass@1 {100 * (p['pass'] - b['pass']) / n:+.1f} points, "
              f"p50 latency {statistics.median(p['t']) / statistics.median(b['t']):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
