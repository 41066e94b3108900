"""Retrieval benchmark: is the code that defines what the next line uses in the packed context?

On real code nobody here wrote (by default packages of CPython's standard library), it picks
lines that use a name defined in another file of the same package, blanks the line, puts the
cursor at its start (the user is about to write it), and asks three retrievers for context:

* ``bm25``: BM25 (bm25s) over 10-line windows of the package's other files, queried with the 10
  lines above the cursor (the baseline);
* ``jaccard``: Jaccard similarity of identifier sets over the same windows;
* ``pipeline``: the full context engine (scopes, definitions through imports and the workspace
  index, BM25 windows, fused by rank and packed), exactly what completions use.

It reports recall@1 and recall@5 (one of the first k ranked snippets contains the definition of
a cross-file name the line uses), the share of the line's cross-file names whose definitions the
packed context holds at 512 and 2,048 context tokens (counted by the embedded SmolLM2
tokenizer, or ``--tokenizer DIR``), and the context building time (p50/p95) per retriever.
Ground truth comes from Python's ``ast`` (top-level definitions per file), independent of the
index the pipeline uses.

Run: ``.venv/bin/python bench/retrieval_bench.py --stdlib`` (the packages email, asyncio, http,
json, logging, importlib, concurrent and xml of the running Python), or on any directory:
``.venv/bin/python bench/retrieval_bench.py path/to/project``.  Not a test.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ghostls.completion.request import CompletionRequest  # noqa: E402
from ghostls.context.corpus import WindowCorpus  # noqa: E402
from ghostls.context.engine import ContextEngine  # noqa: E402
from ghostls.context.rank import Candidate, pack  # noqa: E402
from ghostls.context.service import standard_slots  # noqa: E402
from ghostls.context.tokens import bag, identifier_set  # noqa: E402
from ghostls.indexing.files import walk  # noqa: E402
from ghostls.indexing.languages import spec_for  # noqa: E402
from ghostls.indexing.workspace import WorkspaceIndex  # noqa: E402
from ghostls.providers.base import ApproximateCounter, Snippet, TokenCounter  # noqa: E402
from ghostls.settings import ContextSettings  # noqa: E402

BUDGETS = (512, 2048)
RETRIEVERS = ("bm25", "jaccard", "pipeline")
STDLIB_PACKAGES = "email,asyncio,http,json,logging,importlib,concurrent,xml"
BUILTINS = set(dir(builtins))
STAGES: dict[str, list[float]] = {}  # pipeline stage -> seconds per request
DROPPED: dict[str, int] = {}


@dataclass(frozen=True)
class Target:
    path: str
    start_line: int  # the definition's header line (0-based)


@dataclass
class Case:
    path: str
    line: int
    names: dict[str, list[Target]]  # cross-file names used on the line -> where they are defined


@dataclass
class Tally:
    hits1: int = 0
    hits5: int = 0
    cases: int = 0
    coverage: dict[int, list[float]] = field(default_factory=lambda: {b: [] for b in BUDGETS})
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # process CPU time: independent of other load


# -- ground truth ------------------------------------------------------------------------------

def top_level_definitions(tree: ast.Module) -> dict[str, int]:
    out: dict[str, int] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out[node.name] = node.lineno - 1
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out[target.id] = node.lineno - 1
    return out


def find_cases(package: Path, per_package: int, rng: random.Random) -> list[Case]:
    trees: dict[str, tuple[ast.Module, list[str]]] = {}
    for path in sorted(package.rglob("*.py")):
        try:
            text = path.read_text(encoding="utf-8")
            trees[str(path)] = (ast.parse(text), text.split("\n"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
    defined: dict[str, dict[str, int]] = {p: top_level_definitions(t) for p, (t, _) in trees.items()}
    where: dict[str, list[Target]] = {}
    for p, names in defined.items():
        for name, line in names.items():
            where.setdefault(name, []).append(Target(p, line))
    cases: list[Case] = []
    for p, (tree, lines) in trees.items():
        own = defined[p]
        by_line: dict[int, dict[str, list[Target]]] = {}
        skip: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                skip.add(node.lineno - 1)
            name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
            if not name or len(name) < 3 or name in own or name in BUILTINS or name.startswith("__"):
                continue
            targets = [t for t in where.get(name, ()) if t.path != p]
            if targets:
                by_line.setdefault(node.lineno - 1, {})[name] = targets
        cases += [Case(p, line, names) for line, names in sorted(by_line.items())
                  if line not in skip and lines[line].strip() and not lines[line].strip().startswith("#")]
    rng.shuffle(cases)
    return cases[:per_package]


# -- retrievers --------------------------------------------------------------------------------

def covers(snippet: Snippet, target: Target) -> bool:
    return snippet.path == target.path and snippet.start_line <= target.start_line <= snippet.end_line


def score_case(case: Case, ranked: list[Snippet], packed: dict[int, list[Snippet]], tally: Tally) -> None:
    targets = [t for ts in case.names.values() for t in ts]
    tally.cases += 1
    tally.hits1 += any(covers(s, t) for s in ranked[:1] for t in targets)
    tally.hits5 += any(covers(s, t) for s in ranked[:5] for t in targets)
    for budget, snippets in packed.items():
        found = sum(any(covers(s, t) for s in snippets for t in ts) for ts in case.names.values())
        tally.coverage[budget].append(found / len(case.names))


def lexical(kind: str, corpus: WindowCorpus, request: CompletionRequest, counter: TokenCounter,
            window_lines: int) -> tuple[list[Snippet], dict[int, list[Snippet]]]:
    lines = request.prefix.split("\n")
    query_text = "\n".join(lines[-window_lines - 1:])
    if kind == "bm25":
        hits = corpus.bm25().search(bag(query_text), 20, exclude_path=request.path)
    else:
        hits = corpus.jaccard().search(identifier_set(query_text), 20, exclude_path=request.path)
    ranked = [Snippet(w.text, kind, w.path, w.start_line, w.end_line, s) for w, s in hits]
    cands = [Candidate(s, s.score) for s in ranked]
    return ranked, {b: [c.snippet for c in pack(cands, counter, b)] for b in BUDGETS}


def make_counter(tokenizer: str) -> tuple[TokenCounter, str]:
    from ghostls.providers.embedded import embedded_model_dir

    path = Path(tokenizer) if tokenizer else embedded_model_dir()
    if (path / "tokenizer.json").is_file() or (path / "tokenizer_config.json").is_file():
        from transformers import AutoTokenizer

        from ghostls.providers.local.provider import TokenizerCounter

        return TokenizerCounter(AutoTokenizer.from_pretrained(str(path))), str(path)
    print(f"(no tokenizer at {path}: counting ~3.5 characters a token)", file=sys.stderr)
    return ApproximateCounter(), "approximate (3.5 chars/token)"


def run_package(package: Path, args: argparse.Namespace, counter: TokenCounter, tallies: dict[str, Tally],
                rng: random.Random, cache: str) -> int:
    cases = find_cases(package, args.per_package, rng)
    if not cases:
        return 0
    index = WorkspaceIndex(str(package), cache_dir=cache, workers=args.workers)
    index.build()
    corpus = WindowCorpus(args.window_lines)
    for cand in walk(str(package)):
        if spec_for(path=cand.path) is not None:
            try:
                corpus.set_file(cand.path, Path(cand.path).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                pass
    corpus.rebuild()
    deadline = args.deadline_ms
    settings = ContextSettings(window_lines=args.window_lines, scopes_deadline_ms=deadline,
                               definitions_deadline_ms=deadline, similar_deadline_ms=deadline)
    engine = ContextEngine(standard_slots(lambda: index, corpus, None, None, args.window_lines),
                           lambda: settings, lambda: counter)
    texts: dict[str, str] = {}
    try:
        for case in cases:
            text = texts.setdefault(case.path, Path(case.path).read_text(encoding="utf-8"))
            lines = text.split("\n")
            blanked = "\n".join(lines[:case.line] + [""] + lines[case.line + 1:])
            offset = sum(len(x) + 1 for x in lines[:case.line])
            request = CompletionRequest(blanked, offset, path=case.path, language="python",
                                        uri=Path(case.path).as_uri(), version=case.line)
            for kind in ("bm25", "jaccard"):
                t, c = time.perf_counter(), time.process_time()
                ranked, packed = lexical(kind, corpus, request, counter, args.window_lines)
                tallies[kind].seconds.append(time.perf_counter() - t)
                tallies[kind].cpu.append(time.process_time() - c)
                score_case(case, ranked, packed, tallies[kind])
            packed = {}
            for budget in BUDGETS:
                t, c = time.perf_counter(), time.process_time()
                result = engine.build(request, budget)
                if budget == BUDGETS[-1]:
                    tallies["pipeline"].seconds.append(time.perf_counter() - t)
                    tallies["pipeline"].cpu.append(time.process_time() - c)
                    for stage, seconds in result.timings.items():
                        STAGES.setdefault(stage, []).append(seconds)
                    for source in result.dropped:
                        DROPPED[source] = DROPPED.get(source, 0) + 1
                packed[budget] = list(result.snippets)
            ranked = [c.snippet for c in result.candidates]
            score_case(case, ranked, packed, tallies["pipeline"])
    finally:
        engine.close()
        index.close()
    return len(cases)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def report(tallies: dict[str, Tally], counter_name: str, cases: int) -> None:
    print(f"\n{cases} cases; tokens counted by {counter_name}")
    header = f"{'retriever':<10} {'recall@1':>9} {'recall@5':>9} " + " ".join(
        f"{'cover@' + str(b):>11}" for b in BUDGETS) + f" {'p50 ms':>8} {'p95 ms':>8} {'cpu p50':>8} {'cpu p95':>8}"
    print(header)
    for name in RETRIEVERS:
        t = tallies[name]
        n = max(1, t.cases)
        cover = " ".join(f"{100 * statistics.fmean(t.coverage[b]) if t.coverage[b] else 0:>10.1f}%" for b in BUDGETS)
        print(f"{name:<10} {100 * t.hits1 / n:>8.1f}% {100 * t.hits5 / n:>8.1f}% {cover} "
              f"{pct(t.seconds, .5) * 1000:>8.2f} {pct(t.seconds, .95) * 1000:>8.2f} "
              f"{pct(t.cpu, .5) * 1000:>8.2f} {pct(t.cpu, .95) * 1000:>8.2f}")
    print("pipeline stages (ms, p50/p95): " + ", ".join(
        f"{k} {pct(v, .5) * 1000:.2f}/{pct(v, .95) * 1000:.2f}" for k, v in STAGES.items())
        + (f"; dropped by deadline: {DROPPED}" if DROPPED else ""))
    base, full = tallies["bm25"], tallies["pipeline"]
    if base.cases:
        gain = 100 * (full.hits5 - base.hits5) / base.cases
        ratio = statistics.fmean(full.coverage[2048]) / max(1e-9, statistics.fmean(base.coverage[2048]))
        print(f"\npipeline vs bm25: recall@5 {gain:+.1f} points (goal >= +15); coverage@2048 x{ratio:.2f}; "
              f"context p95 {pct(full.seconds, .95) * 1000:.2f} ms wall, {pct(full.cpu, .95) * 1000:.2f} ms CPU "
              f"(goal <= 15 ms; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores), "
              f"{pct(full.seconds, .95) / max(1e-9, pct(base.seconds, .95)):.1f}x bm25's")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", type=Path, nargs="?", help="a project folder, or the parent of --packages")
    parser.add_argument("--stdlib", action="store_true", help="CPython's standard library packages (see above)")
    parser.add_argument("--packages", default="", help="comma-separated sub-folders, each its own workspace")
    parser.add_argument("--per-package", type=int, default=120, help="lines sampled per workspace")
    parser.add_argument("--window-lines", type=int, default=10)
    parser.add_argument("--deadline-ms", type=int, default=1000, help="per-source deadline in the pipeline")
    parser.add_argument("--tokenizer", default="", help="a tokenizer folder (default: the embedded SmolLM2's)")
    parser.add_argument("--workers", type=int, default=2, help="index build processes")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if args.stdlib:
        args.dir = Path(os.path.dirname(os.__file__))
        args.packages = args.packages or STDLIB_PACKAGES
    elif args.dir is None:
        parser.error("give a folder, or --stdlib")
    args.dir = args.dir.resolve()
    packages = [args.dir / p for p in args.packages.split(",") if p] or [args.dir]
    counter, counter_name = make_counter(args.tokenizer)
    tallies = {name: Tally() for name in RETRIEVERS}
    rng = random.Random(args.seed)
    total = 0
    with tempfile.TemporaryDirectory() as cache:
        for package in packages:
            t = time.perf_counter()
            n = run_package(package, args, counter, tallies, rng, cache)
            total += n
            print(f"{package.name}: {n} cases in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    report(tallies, counter_name, total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
