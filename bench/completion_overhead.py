"""Overhead of everything but the model, and the keystroke economy while typing.

1. ``overhead``: the real pipeline (skip rules, shape, prompt budgeting with the embedded model's
   real tokenizer and profile, streaming early stop, post-processing with the syntax check)
   on a 5,000-line file of real Python (CPython's stdlib), at seeded random positions.  The
   "model" is a canned stream that replays the file's own next lines in 4-character chunks, so
   no time goes to generation.  Baseline in the same run: the same pipeline with the first
   version's line-by-line prompt trimming (one tokenizer call per line).
2. ``replay``: records typing a 2,000-character file at 15 characters/s (seeded log-normal
   jitter) and replays it through a real server (embedded model) with the replay harness:
   model calls per 100 keystrokes, cache hit rate, latency of shown suggestions; baseline in the
   same run: the fixed debounce (``inline.adaptiveDebounce`` off).

    .venv/bin/python bench/completion_overhead.py overhead [--requests 300]
    .venv/bin/python bench/completion_overhead.py replay [--chars 2000 --cps 15]
"""

from __future__ import annotations

import argparse
import asyncio
import os

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
import random
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ghostls.completion import prompt as prompt_module  # noqa: E402
from ghostls.completion.pipeline import run_completion  # noqa: E402
from ghostls.completion.request import CompletionRequest  # noqa: E402
from ghostls.providers.base import GenerationParams, RenderedPrompt  # noqa: E402
from ghostls.settings import parse_settings  # noqa: E402

STDLIB = Path(random.__file__).parent


def real_python(lines: int) -> str:
    out: list[str] = []
    for path in sorted(STDLIB.glob("*.py")):
        out += path.read_text(encoding="utf-8", errors="replace").split("\n")
        if len(out) >= lines:
            break
    return "\n".join(out[:lines]) + "\n"


def canned_provider() -> Any:
    """The real local provider (embedded model's tokenizer, profile and prompt rendering) with
    a canned stream instead of generation: what the pipeline costs around the model."""
    from transformers import AutoTokenizer

    from ghostls.providers.embedded import ensure_embedded_model
    from ghostls.providers.local.provider import LocalProvider, TokenizerCounter
    from ghostls.providers.profiles import detect_profile

    class CannedProvider(LocalProvider):
        output = ""

        def load(self) -> None:
            pass

        @property
        def context_window(self) -> int:
            return 2048

        def stream(self, prompt: RenderedPrompt, params: GenerationParams,
                   cancel: threading.Event) -> Iterator[str]:
            for i in range(0, len(self.output), 4):
                yield self.output[i:i + 4]

    provider = CannedProvider()
    provider.tokenizer = AutoTokenizer.from_pretrained(ensure_embedded_model())
    provider._counter = TokenizerCounter(provider.tokenizer)
    provider.profile = detect_profile(provider.tokenizer.get_vocab().keys())
    return provider


def naive_take_tail_lines(text: str, budget: int, counter: Any) -> str:
    """The first version: count the whole text, then one tokenizer call per line."""
    if budget <= 0:
        return ""
    if counter.count(text) <= budget:
        return text
    lines = text.split("\n")
    kept = [lines[-1]]
    used = counter.count(lines[-1])
    if used > budget:
        return prompt_module._trim_left(lines[-1], budget, counter)
    for line in reversed(lines[:-1]):
        cost = counter.count(line + "\n")
        if used + cost > budget:
            break
        kept.append(line)
        used += cost
    return "\n".join(reversed(kept))


def naive_take_head_lines(text: str, budget: int, counter: Any) -> str:
    if budget <= 0:
        return ""
    if counter.count(text) <= budget:
        return text
    kept: list[str] = []
    used = 0
    for i, line in enumerate(text.split("\n")):
        piece = line if i == 0 else "\n" + line
        cost = counter.count(piece)
        if used + cost > budget:
            break
        kept.append(piece)
        used += cost
    return "".join(kept)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def overhead(requests: int, lines: int, seed: int) -> None:
    text = real_python(lines)
    provider = canned_provider()
    # Suffix-aware reranking is model work (more generation and a scoring pass; measured by
    # bench/humaneval_e2e.py), so the canned model runs the single-suggestion path.
    settings = parse_settings({"inline": {"rerank": 0}})[0]
    rng = random.Random(seed)
    line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"][:-1]
    cases = []
    for _ in range(requests):
        row = rng.randrange(10, len(line_starts) - 20)
        start = line_starts[row]
        line = text[start:text.find("\n", start)]
        col = len(line) - len(line.lstrip()) + rng.randrange(0, max(1, len(line.strip())))
        offset = start + col
        cases.append((offset, text[offset: line_starts[row + 8]]))

    def measure(label: str) -> list[float]:
        times, cpu = [], []
        for offset, following in cases:
            provider.output = following
            request = CompletionRequest(text=text, offset=offset, path="big.py", language="python",
                                        uri="file:///big.py", invoked=True)
            t, c = time.perf_counter(), time.process_time()
            run_completion(request, provider, settings, threading.Event())
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        p50, p95 = statistics.median(times) * 1000, percentile(times, 0.95) * 1000
        c50, c95 = statistics.median(cpu) * 1000, percentile(cpu, 0.95) * 1000
        print(f"{label:<34} wall p50 {p50:7.2f} ms  p95 {p95:7.2f} ms | CPU p50 {c50:7.2f} ms  p95 {c95:7.2f} ms")
        return cpu

    print(f"{len(text.splitlines())}-line file ({len(text) / 1024:.0f} KiB of CPython stdlib), {requests} requests, "
          f"canned 8-line model output, embedded tokenizer, syntax check on")
    measure("warm-up")
    ours = measure("pipeline (cached line counts)")
    saved = prompt_module.take_tail_lines, prompt_module.take_head_lines
    prompt_module.take_tail_lines, prompt_module.take_head_lines = naive_take_tail_lines, naive_take_head_lines
    try:
        base = measure("baseline (line-by-line budgeting)")
    finally:
        prompt_module.take_tail_lines, prompt_module.take_head_lines = saved
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"ratio baseline/ours (CPU time): p50 {statistics.median(base) / statistics.median(ours):.1f}x, "
          f"p95 {percentile(base, 0.95) / percentile(ours, 0.95):.1f}x")


async def replay_bench(chars: int, cps: float, jitter: float, seed: int, settings: dict[str, Any]) -> None:
    import tempfile

    from ghostls.cli.replay import record, replay
    from ghostls.harness import HeadlessSession

    source = Path(STDLIB / "bisect.py").read_text(encoding="utf-8")[:chars]
    events = record(source, "bisect_typed.py", cps=cps, jitter=jitter, seed=seed)
    keys = sum(e["type"] == "change" for e in events)
    print(f"typing {len(source)} characters of CPython's bisect.py ({keys} keystrokes) at {cps} chars/s "
          f"(log-normal jitter sigma={jitter}, seed {seed}): {events[-1]['t']:.0f} s of typing; settings {settings}")
    summaries = {}
    # Baseline in the same run: the fixed debounce (what the server did before the typing rhythm).
    for name, adaptive in (("fixed debounce", False), ("adaptive debounce", True)):
        run_settings = {**settings, "inline": {**settings.get("inline", {}), "adaptiveDebounce": adaptive}}
        with tempfile.TemporaryDirectory(prefix="ghostls-bench-") as tmp:
            async with HeadlessSession(run_settings, root=Path(tmp), on_message=lambda m: None) as session:
                report = await replay(events, session, Path(tmp))
        summaries[name] = report.summary()
        print(f"{name} ({run_settings}):")
        for key, value in summaries[name].items():
            print(f"  {key}: {value}")
    fixed, ours = summaries["fixed debounce"], summaries["adaptive debounce"]
    print(f"model calls per 100 keystrokes: fixed {fixed['modelCallsPer100Keystrokes']:.2f}, adaptive "
          f"{ours['modelCallsPer100Keystrokes']:.2f} "
          f"({fixed['modelCallsPer100Keystrokes'] / max(ours['modelCallsPer100Keystrokes'], 1e-9):.1f}x fewer); "
          f"suggestions shown: fixed {fixed['shown']}, adaptive {ours['shown']}; load average "
          f"{os.getloadavg()[0]:.1f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    o = sub.add_parser("overhead")
    o.add_argument("--requests", type=int, default=300)
    o.add_argument("--lines", type=int, default=5000)
    o.add_argument("--seed", type=int, default=0)
    r = sub.add_parser("replay")
    r.add_argument("--chars", type=int, default=2000)
    r.add_argument("--cps", type=float, default=15.0)
    r.add_argument("--jitter", type=float, default=0.5)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--debounce-ms", type=int, default=75)
    args = ap.parse_args()
    if args.what == "overhead":
        overhead(args.requests, args.lines, args.seed)
    else:
        asyncio.run(replay_bench(args.chars, args.cps, args.jitter, args.seed,
                                 {"inline": {"debounceMs": args.debounce_ms}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
