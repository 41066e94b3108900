"""Latency of one inline completion with the embedded model on this machine (issue 2).

Sends N HumanEval single-line infilling documents (cursor at the start of the missing line)
through a real ``ghostls serve`` subprocess over LSP, and, as the baseline in the same run,
the same requests through the completion pipeline in-process (no LSP, no subprocess, no
cross-file context).  The server is measured twice: with cross-file context off (the same
prompt as the baseline, so the difference is the LSP path) and with the default settings
(context on: the other open documents are retrieved into the prompt).
Every request is a different document, so no result cache can answer it.

    .venv/bin/python bench/completion_latency.py --requests 20
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "humaneval-infilling"


def load_tasks(n: int) -> list[dict]:
    with gzip.open(DATA / "HumanEval-SingleLineInfilling.jsonl.gz", "rt") as fh:
        tasks = [json.loads(line) for line in fh]
    step = max(1, len(tasks) // n)
    return tasks[::step][:n]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summary(name: str, values: list[float]) -> str:
    return (f"{name:<28} p50 {percentile(values, 0.5) * 1000:7.0f} ms   p95 {percentile(values, 0.95) * 1000:7.0f} ms"
            f"   mean {statistics.mean(values) * 1000:7.0f} ms   n={len(values)}")


async def through_server(tasks: list[dict], settings: dict) -> tuple[list[float], list[str]]:
    from ghostls.harness import HeadlessSession

    latencies, texts = [], []
    with tempfile.TemporaryDirectory() as tmp:
        async with HeadlessSession(settings, root=Path(tmp), on_message=lambda m: None) as session:
            warm = Path(tmp) / "warm.py"
            warm.write_text("def main():\n    \n")
            await session.inline(session.open(warm), 1, 4)  # load the model before timing
            for i, task in enumerate(tasks):
                path = Path(tmp) / f"task{i}.py"
                text = task["prompt"] + task["suffix"]
                uri = session.open(path, text)
                line = task["prompt"].count("\n")
                started = time.perf_counter()
                items = await session.inline(uri, line, 0)
                latencies.append(time.perf_counter() - started)
                texts.append(items[0].insert_text if items else "")
    return latencies, texts


def in_process(tasks: list[dict], settings_json: dict) -> tuple[list[float], list[str]]:
    from ghostls.completion.pipeline import run_completion
    from ghostls.completion.request import CompletionRequest
    from ghostls.providers.factory import create_provider
    from ghostls.settings import parse_settings

    settings, _ = parse_settings(settings_json)
    provider = create_provider(settings)
    provider.load()
    latencies, texts = [], []
    for i, task in enumerate(tasks):
        text = task["prompt"] + task["suffix"]
        request = CompletionRequest(text=text, offset=len(task["prompt"]), path=f"/bench/task{i}.py",
                                    language="python", uri=f"file:///bench/task{i}.py", invoked=True)
        started = time.perf_counter()
        result = run_completion(request, provider, settings, threading.Event())
        latencies.append(time.perf_counter() - started)
        texts.append(result.items[0].text if result.items else "")
    return latencies, texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--model", default="", help="model setting (default: the embedded SmolLM2)")
    args = parser.parse_args()
    tasks = load_tasks(args.requests)
    settings = {"model": args.model}
    base, base_texts = in_process(tasks, settings)
    bare, bare_texts = asyncio.run(through_server(tasks, {**settings, "context": {"enable": False}}))
    full, full_texts = asyncio.run(through_server(tasks, settings))
    print(summary("in-process pipeline (base)", base))
    for name, values in (("LSP, context off", bare), ("LSP, default settings", full)):
        print(summary(name, values))
        print(f"  ratio to base: p50 {percentile(values, 0.5) / percentile(base, 0.5):.2f}x, "
              f"p95 {percentile(values, 0.95) / percentile(base, 0.95):.2f}x")
    same = sum(a == b for a, b in zip(base_texts, bare_texts, strict=True))
    print(f"identical suggestions, base vs LSP with context off: {same}/{len(tasks)}")
    for name, texts in (("base", base_texts), ("LSP default", full_texts)):
        exact = sum(t.strip() == task["canonical_solution"].strip() for t, task in zip(texts, tasks, strict=True))
        print(f"exact match with the canonical line, {name}: {exact}/{len(tasks)}")


if __name__ == "__main__":
    main()
