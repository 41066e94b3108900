"""Local engine latency on CPU: time to first token cold vs. after a one-token edit (prefix
cache reuse), and decode time per token, with and without prompt-lookup decoding.

    .venv/bin/python bench/latency.py                       # embedded SmolLM2-135M, 256/1024/2048
    .venv/bin/python bench/latency.py --sizes 1024 --reps 5 --threads 1

Prompts are real code (this interpreter's standard library) cut to an exact token count.  The
"edit" prompt is the same text plus the next token of the source, as after one keystroke; with
token healing its last token is regenerated, so reuse covers all tokens but the last one or two.
Each figure is p50/p95 over ``--reps`` runs; ratios compare against the cold run of the same size
measured in the same process.  Not a test.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ghostls.providers.base import GenerationParams, RenderedPrompt  # noqa: E402
from ghostls.providers.local import LocalProvider  # noqa: E402


def corpus(min_chars: int) -> str:
    lib = Path(os.__file__).parent
    parts: list[str] = []
    total = 0
    for path in sorted(lib.glob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        parts.append(text)
        total += len(text)
        if total >= min_chars:
            break
    return "".join(parts)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def fmt(values: list[float]) -> str:
    return f"p50 {pct(values, 0.5) * 1000:8.1f} ms  p95 {pct(values, 0.95) * 1000:8.1f} ms"


def run(provider: LocalProvider, text: str, new_tokens: int) -> tuple[float, float, dict]:
    """(engine time to first token, wall time to first chunk, stats)."""
    started = time.perf_counter()
    first_chunk = None
    for _ in provider.stream(RenderedPrompt(text=text), GenerationParams(max_new_tokens=new_tokens),
                             threading.Event()):
        if first_chunk is None:
            first_chunk = time.perf_counter() - started
    stats = dict(vars(provider.last_stats))
    return stats["first_token_s"], first_chunk or float("nan"), stats


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="", help="model setting (default: the embedded SmolLM2-135M)")
    parser.add_argument("--sizes", default="256,1024,2048", help="prompt sizes in tokens")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--new-tokens", type=int, default=32, help="tokens generated per run (decode timing)")
    parser.add_argument("--lookup", type=int, default=8, help="draft size for the prompt-lookup comparison")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    sizes = [int(s) for s in args.sizes.split(",")]
    provider = LocalProvider(model=args.model, context_size=max(sizes) + 64, kv_cache_mb=1024)
    started = time.perf_counter()
    provider.load()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"model {provider.source_label} on {provider.device} ({provider.status()['dtype']}), "
          f"{torch.get_num_threads()} threads, loaded in {time.perf_counter() - started:.2f}s "
          f"{provider.load_phases}")
    source = corpus(max(sizes) * 12)
    ids = provider.counter.encode(source)
    results: dict = {"device": provider.device, "threads": torch.get_num_threads(), "sizes": {}}
    for size in sizes:
        base = provider.tokenizer.decode(ids[:size])
        edited = provider.tokenizer.decode(ids[:size + 1])
        cold, cached, warm_wall, cold_wall, decode, reused = [], [], [], [], [], []
        for _ in range(args.reps):
            provider.prefix_cache.clear()
            ttft, wall, stats = run(provider, base, args.new_tokens)
            cold.append(ttft)
            cold_wall.append(wall)
            if stats["generated_tokens"] > 1:
                decode.append(stats["decode_s"] / (stats["generated_tokens"] - 1))
            ttft, wall, stats = run(provider, edited, args.new_tokens)
            cached.append(ttft)
            warm_wall.append(wall)
            reused.append(stats["reused_tokens"] / max(1, stats["prompt_tokens"]))
        ratio = pct(cold, 0.5) / pct(cached, 0.5)
        print(f"\n{size} tokens")
        print(f"  TTFT cold           {fmt(cold)}")
        print(f"  TTFT one-token edit {fmt(cached)}   reuse {statistics.mean(reused):.1%} of the prompt")
        print(f"  ratio cold/edit     {ratio:6.1f}x")
        print(f"  first chunk (wall)  cold {pct(cold_wall, 0.5) * 1000:.1f} ms, "
              f"edit {pct(warm_wall, 0.5) * 1000:.1f} ms")
        if decode:
            print(f"  decode per token    {fmt(decode)}")
        results["sizes"][size] = {"ttft_cold": cold, "ttft_edit": cached, "ratio": ratio, "decode": decode}

    # Prompt-lookup decoding on a multi-line completion of code that repeats its context.
    size = sizes[min(1, len(sizes) - 1)]
    text = provider.tokenizer.decode(ids[:size])
    per_token: dict[int, list[float]] = {}
    outputs: dict[int, str] = {}
    for draft in (0, args.lookup):
        provider.prompt_lookup = draft
        per_token[draft] = []
        for _ in range(args.reps):
            provider.prefix_cache.clear()
            run(provider, text, 1)  # prefill cached: time decoding only
            started = time.perf_counter()
            chunks = list(provider.stream(RenderedPrompt(text=text),
                                          GenerationParams(max_new_tokens=args.new_tokens * 2), threading.Event()))
            elapsed = time.perf_counter() - started
            outputs[draft] = "".join(chunks)
            stats = provider.last_stats
            per_token[draft].append(elapsed / max(1, stats.generated_tokens))
        print(f"\nprompt lookup {draft:2d}: per generated token {fmt(per_token[draft])}  "
              f"(passes {stats.forward_passes} for {stats.generated_tokens} tokens, "
              f"accepted {stats.accepted_tokens}/{stats.drafted_tokens} drafted)")
    provider.prompt_lookup = 0
    same = outputs[0] == outputs[args.lookup]
    speedup = pct(per_token[0], 0.5) / pct(per_token[args.lookup], 0.5)
    print(f"prompt lookup speed-up {speedup:.2f}x, same text: {same}")
    results["prompt_lookup"] = {"per_token": per_token, "speedup": speedup, "same_text": same}
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
