"""Post-processing accuracy with an over-running model, on every HumanEval infilling task.

For each task the "model output" is the canonical middle followed by the rest of the file (what
a base model that keeps writing produces), and variants with trailing noise after it.  The
output is streamed in 4-character chunks through the real shape decision, streaming early stop
and post-processing stages (no model); the
returned item is scored against the canonical middle:

* exact: the item's text equals the middle (trailing whitespace of each line and blank lines
  at either end ignored), and the item replaces nothing after the cursor;
* doc-exact: applying the item gives the very document that inserting the middle gives
  (modulo trailing whitespace at the end of the file);
* duplicate-suffix: the returned text repeats the suffix's first code line (more often than
  the middle itself does).

Baseline in the same run: the lead's first version of the stages (first line / indentation cut,
one-line suffix match), kept here verbatim as ``naive_postprocess``.

    .venv/bin/python bench/postprocess_accuracy.py [--max-lines 200] [--limit N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ghostls.completion.postprocess import PostContext, is_complete, postprocess_draft  # noqa: E402
from ghostls.completion.request import CompletionRequest  # noqa: E402
from ghostls.completion.shape import decide_shape  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "humaneval-infilling"
FILES = {"single-line": "HumanEval-SingleLineInfilling.jsonl.gz",
         "multi-line": "HumanEval-MultiLineInfilling.jsonl.gz"}


def noise_variants(task: dict) -> dict[str, str]:
    """Text a model might write after the end of the file."""
    return {
        "clean": "",
        "tests": "\n\n" + task["test"].strip("\n") + "\n",
        "main-guard": "\n\nif __name__ == \"__main__\":\n    import doctest\n    doctest.testmod()\n",
        "prose": "\n<|endoftext|>Human: Can you explain what this function does?\nAssistant: Sure.\n",
    }


def stream(output: str, ctx: PostContext, chunk: int = 4) -> str:
    """What the pipeline keeps of ``output`` arriving in small chunks: generation stops as soon
    as :func:`is_complete` says so (as in ``pipeline.generate``)."""
    text = ""
    for i in range(0, len(output), chunk):
        text += output[i:i + chunk]
        if is_complete(text, ctx):
            break
    return text


def normalize(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def naive_postprocess(text: str, request: CompletionRequest, max_lines: int) -> str:
    """The first version's behaviour (commit fb8e9ba): block by indentation, one-line suffix match."""
    from ghostls.completion.shape import _indent
    starts_mid = bool(request.line_prefix.strip())
    lines = text.split("\n")
    kept: list[str] = []
    block_indent = None
    for i, line in enumerate(lines):
        if i == 0 and starts_mid:
            kept.append(line)
            continue
        if not line.strip():
            kept.append(line)
            continue
        ind = _indent(request.line_prefix + line if i == 0 else line)
        if block_indent is None:
            block_indent = ind
        elif len(ind) < len(block_indent):
            break
        kept.append(line)
        if sum(1 for k in kept if k.strip()) >= max_lines:
            break
    text = "\n".join(kept)
    suffix_lines = [ln.strip() for ln in request.suffix.split("\n")[1:] if ln.strip()][:3]
    if suffix_lines:
        out = text.split("\n")
        for i, line in enumerate(out):
            if i > 0 and line.strip() and line.strip() == suffix_lines[0]:
                text = "\n".join(out[:i])
                break
    return "\n".join(line.rstrip() for line in text.split("\n")).rstrip()


def score(task: dict, text: str, end: int) -> tuple[bool, bool, bool]:
    middle, prefix, suffix = task["canonical_solution"], task["prompt"], task["suffix"]
    exact = normalize(text) == normalize(middle) and end == 0
    doc = prefix + text + suffix[end:]
    doc_exact = doc.rstrip() == (prefix + middle + suffix).rstrip()
    first = next((ln.strip() for ln in suffix.split("\n") if ln.strip()), "")
    lines = [ln.strip() for ln in text.split("\n")]
    dup = bool(first) and lines.count(first) > [ln.strip() for ln in middle.split("\n")].count(first)
    return exact, doc_exact, dup


def run(kind: str, max_lines: int, limit: int | None) -> dict:
    tasks = [json.loads(line) for line in gzip.open(DATA / FILES[kind], "rt")]
    if limit:
        tasks = tasks[:limit]
    totals: dict[str, dict[str, float]] = {}
    timings: list[float] = []
    failures: list[str] = []
    for task in tasks:
        text = task["prompt"] + task["suffix"]
        request = CompletionRequest(text=text, offset=len(task["prompt"]), path="task.py",
                                    language="python", invoked=True)
        shape = decide_shape(request, max_lines)
        ctx = PostContext(request, shape)
        for name, noise in noise_variants(task).items():
            output = task["canonical_solution"] + task["suffix"] + noise
            t = time.perf_counter()
            draft = postprocess_draft(stream(output, ctx), ctx)
            timings.append(time.perf_counter() - t)
            ours = score(task, draft.text, draft.end)
            base = score(task, naive_postprocess(output, request, max_lines), 0)
            row = totals.setdefault(name, {"n": 0, "exact": 0, "doc_exact": 0, "dup": 0,
                                           "naive_exact": 0, "naive_dup": 0})
            row["n"] += 1
            row["exact"] += ours[0]
            row["doc_exact"] += ours[1]
            row["dup"] += ours[2]
            row["naive_exact"] += base[0]
            row["naive_dup"] += base[2]
            if not ours[0] and len(failures) < 5:
                failures.append(f"{task['task_id']} [{name}] {shape.mode}/{shape.reason} "
                                f"want={task['canonical_solution']!r} got={draft.text!r}")
    return {"totals": totals, "timings": timings, "failures": failures, "tasks": len(tasks)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--max-lines", type=int, default=200,
                    help="line limit (the multi-line middles reach 60 lines; default: no practical limit)")
    ap.add_argument("--limit", type=int, help="first N tasks of each file")
    ap.add_argument("--show-failures", action="store_true")
    args = ap.parse_args()
    for kind in FILES:
        out = run(kind, args.max_lines, args.limit)
        print(f"\n== {kind}: {out['tasks']} tasks x {len(out['totals'])} output variants, "
              f"maxLines={args.max_lines}")
        print(f"{'variant':<12} {'exact':>8} {'doc-exact':>10} {'dup-suffix':>11} "
              f"{'naive exact':>12} {'naive dup':>10}")
        agg = {"n": 0, "exact": 0, "doc_exact": 0, "dup": 0, "naive_exact": 0, "naive_dup": 0}
        for name, row in out["totals"].items():
            n = row["n"]
            for k in agg:
                agg[k] += row[k]
            print(f"{name:<12} {row['exact'] / n:>8.2%} {row['doc_exact'] / n:>10.2%} {row['dup'] / n:>11.2%} "
                  f"{row['naive_exact'] / n:>12.2%} {row['naive_dup'] / n:>10.2%}")
        n = agg["n"]
        print(f"{'all':<12} {agg['exact'] / n:>8.2%} {agg['doc_exact'] / n:>10.2%} {agg['dup'] / n:>11.2%} "
              f"{agg['naive_exact'] / n:>12.2%} {agg['naive_dup'] / n:>10.2%}")
        ts = sorted(out["timings"])
        print(f"streaming early-stop checks + post-processing per output: p50 {statistics.median(ts) * 1000:.2f} ms, "
              f"p95 {ts[int(0.95 * (len(ts) - 1))] * 1000:.2f} ms")
        if args.show_failures:
            for f in out["failures"]:
                print("  FAIL", f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
