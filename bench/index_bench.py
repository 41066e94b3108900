"""Index benchmark on the interpreter's own standard library (``os.path.dirname(os.__file__)``).

Measures, in one run:
  * cold index (empty cache) with N worker processes, against ``ctags -R`` on the same tree;
  * warm restart (nothing changed): open the cache and re-check every file, in-process and as a
    fresh ``ghostls index --json`` process;
  * incremental update of an open 10,000-line document after a one-character edit (tree.edit +
    re-parse), against a fresh parse of the same text;
  * name look-up (exact and prefix) p50/p95;
  * peak RSS of this process (the index owner) and of the pool workers.

Usage: .venv/bin/python bench/index_bench.py [--root DIR] [--workers 2] [--repeat 2] [--only PART ...] [--json]
(``--only incremental`` runs just the open-document part, in seconds rather than minutes.)
Not a test: numbers depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ghostls.documents import DocumentStore  # noqa: E402
from ghostls.indexing.languages import parse, spec_for  # noqa: E402
from ghostls.indexing.trees import DocumentTrees  # noqa: E402
from ghostls.indexing.workspace import WorkspaceIndex  # noqa: E402

CTAGS_LANGUAGES = "Python,C,C++,JavaScript,TypeScript,Go,Rust,Java"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cold_index(root: str, workers: int) -> tuple[float, float, dict]:
    """Wall seconds, CPU seconds (this process + pool workers), and the summary."""
    cache = tempfile.mkdtemp(prefix="ghostls-bench-cache-")
    try:
        cpu0, children0 = time.process_time(), children_cpu()
        started = time.perf_counter()
        index = WorkspaceIndex(root, cache_dir=cache, workers=workers)
        stats = index.build()
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu0 + children_cpu() - children0
        summary = {**stats.as_dict(), **index.stats()}
        index.close()
        return seconds, cpu, summary
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def ctags_index(root: str) -> tuple[float, float, int] | None:
    ctags = shutil.which("ctags")
    if ctags is None:
        return None
    out = tempfile.mktemp(prefix="ghostls-bench-tags-")
    children0 = children_cpu()
    started = time.perf_counter()
    subprocess.run([ctags, "-R", f"--languages={CTAGS_LANGUAGES}", "--exclude=site-packages",
                    "--exclude=__pycache__", "--exclude=.*", "-f", out, root], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    cpu = children_cpu() - children0
    with open(out, encoding="utf-8", errors="replace") as fh:
        tags = sum(1 for line in fh if not line.startswith("!_"))
    os.remove(out)
    return seconds, cpu, tags


def warm_restarts(root: str, cache: str, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        index = WorkspaceIndex(root, cache_dir=cache, workers=1)
        stats = index.build()
        times.append(time.perf_counter() - started)
        assert stats.parsed == 0, stats
        index.close()
    return times


def warm_restart_process(root: str, cache: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ghostls", "index", root, "--json", "--cache-dir", cache], check=True,
                   stdout=subprocess.DEVNULL, cwd=Path(__file__).resolve().parents[1])
    return time.perf_counter() - started


def server_index(root: str, cache: str) -> dict[str, float]:
    """A real ``ghostls serve`` on ``root``: seconds from initialize to the end of its "Indexing"
    progress, and the server's RSS then (VmRSS) and at peak (VmHWM).  No model is loaded (an empty
    model directory), so the memory is the server's and its index's, not a model's."""
    import asyncio

    from lsprotocol import types

    from ghostls.harness import HeadlessSession

    async def run() -> dict[str, float]:
        no_model = tempfile.mkdtemp(prefix="ghostls-bench-nomodel-")
        settings = {"model": no_model, "index": {"cacheDir": cache}}
        session = HeadlessSession(settings, root=Path(root), on_message=lambda text: None)
        started = time.perf_counter()
        async with session:
            initialized = time.perf_counter()
            while not any(isinstance(p.value, types.WorkDoneProgressEnd) or (
                    isinstance(p.value, dict) and p.value.get("kind") == "end") for p in session.progress):
                await asyncio.sleep(0.02)  # a benchmark, not a test: polling the recorded progress is fine
            ready = time.perf_counter()
            status = Path(f"/proc/{session.client._server.pid}/status").read_text()  # type: ignore[union-attr]
        fields = {k: v.split()[0] for k, _, v in (line.partition(":") for line in status.splitlines()) if v.split()}
        os.rmdir(no_model)
        return {"start_s": initialized - started, "index_s": ready - initialized,
                "rss_mb": int(fields["VmRSS"]) / 1024, "peak_rss_mb": int(fields["VmHWM"]) / 1024}

    return asyncio.run(run())


def ten_thousand_lines(root: str) -> str:
    lines: list[str] = []
    for path in sorted(Path(root).glob("*.py")):
        lines.extend(path.read_text(encoding="utf-8", errors="replace").splitlines())
        if len(lines) >= 10_000:
            break
    return "\n".join(lines[:10_000]) + "\n"


def incremental_updates(text: str, edits: int, seed: int) -> dict[str, list[float]]:
    """One-character insertions at random places of a valid document (each undone, unmeasured, before
    the next, so errors do not pile up): wall and CPU time of the edit + incremental re-parse, and
    of a fresh parse of the same text (the baseline).  The wall time is also split into the edit's
    bookkeeping (``apply_change`` with its listeners: text, line starts, tree.edit, bytes) and the
    re-parse (``get``), to show which of the two makes the tail."""
    rng = random.Random(seed)
    store = DocumentStore()
    trees = DocumentTrees(store)
    doc = store.open("file:///bench/big.py", text, 1, "python")
    spec = spec_for("python")
    assert trees.get(doc.uri) is not None
    out: dict[str, list[float]] = {"wall": [], "cpu": [], "edit_wall": [], "parse_wall": [],
                                   "fresh_wall": [], "fresh_cpu": []}
    for i in range(edits):
        line = rng.randrange(doc.line_count)
        col = rng.randrange(len(doc.line(line)) + 1)
        started, cpu = time.perf_counter(), time.process_time()
        doc.apply_change("x", (line, col), (line, col))
        edited = time.perf_counter()
        trees.get(doc.uri)
        ended = time.perf_counter()
        out["wall"].append(ended - started)
        out["cpu"].append(time.process_time() - cpu)
        out["edit_wall"].append(edited - started)
        out["parse_wall"].append(ended - edited)
        if i % 10 == 0:
            started, cpu = time.perf_counter(), time.process_time()
            parse(doc.text, spec)  # type: ignore[arg-type]
            out["fresh_wall"].append(time.perf_counter() - started)
            out["fresh_cpu"].append(time.process_time() - cpu)
        doc.apply_change("", (line, col), (line, col + 1))
        trees.get(doc.uri)
    return out


def lookups(root: str, cache: str, count: int, seed: int) -> tuple[list[float], list[float], list[float]]:
    index = WorkspaceIndex(root, cache_dir=cache, workers=1)
    rng = random.Random(seed)
    names = [row[0] for row in index.store._read("SELECT DISTINCT name FROM defs")]
    sample = [rng.choice(names) for _ in range(count)]
    exact, prefix, scan = [], [], []
    for name in sample:
        started = time.perf_counter()
        found = index.lookup(name)
        exact.append(time.perf_counter() - started)
        assert found, name
        started = time.perf_counter()
        index.lookup_prefix(name[:3])
        prefix.append(time.perf_counter() - started)
    for name in sample[:20]:  # baseline: the same question without the index on the name column
        started = time.perf_counter()
        index.store._read("SELECT name FROM defs NOT INDEXED WHERE name = ? LIMIT 50", (name,))
        scan.append(time.perf_counter() - started)
    index.close()
    return exact, prefix, scan


PARTS = ("cold", "warm", "server", "incremental")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=os.path.dirname(os.__file__), help="tree to index (default: stdlib Lib)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2, help="cold runs (each also runs ctags once)")
    parser.add_argument("--edits", type=int, default=400)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--only", action="append", choices=PARTS, metavar="PART",
                        help=f"run only this part (repeatable; one of {', '.join(PARTS)}; default: all). "
                             "cold: cold index vs ctags; warm: warm restarts and look-ups; server: a real "
                             "'ghostls serve'; incremental: edits of an open 10,000-line document")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    parts = set(args.only or PARTS)
    root = os.path.abspath(args.root)
    results: dict[str, object] = {"root": root, "cpus": os.cpu_count(), "loadavg_before": os.getloadavg()}
    if "cold" in parts:
        results.update(run_cold(root, args.workers, args.repeat))
    if "warm" in parts:
        results.update(run_warm(root, args.workers, args.lookups))
    if "server" in parts:
        results.update(run_server(root))
    if "incremental" in parts:
        results.update(run_incremental(root, args.edits))
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results["loadavg_after"] = os.getloadavg()

    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"tree: {root}; cpus {results['cpus']}, load {results['loadavg_before']}")
    if "cold" in parts:
        print_cold(results, args.workers)
    if "warm" in parts:
        print_warm(results)
    if "incremental" in parts:
        print_incremental(results)
    if "server" in parts:
        print_server(results)
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    db = f"; index database {results['db_mb']:.1f} MB" if "db_mb" in results else ""
    print(f"peak RSS: this process {results['peak_rss_mb']:.0f} MB, largest child (pool worker or ctags) "
          f"{children:.0f} MB{db}; load after {results['loadavg_after']}")
    return 0


def run_cold(root: str, workers: int, repeat: int) -> dict[str, object]:
    results: dict[str, object] = {}
    cold, cold_cpu, ctags = [], [], []
    summary: dict = {}
    for _ in range(repeat):  # interleaved so both see the same machine load
        seconds, cpu, summary = cold_index(root, workers)
        cold.append(seconds)
        cold_cpu.append(cpu)
        c = ctags_index(root)
        if c is not None:
            ctags.append(c)
    results["cold_s"] = cold
    results["cold_cpu_s"] = cold_cpu
    results["ctags_cpu_s"] = [c[1] for c in ctags]
    results["files"], results["bytes"], results["symbols"] = summary["files"], summary["bytes"], summary["symbols"]
    results["skipped"] = summary["skipped"]
    results["ctags_s"] = [c[0] for c in ctags]
    results["ctags_tags"] = ctags[0][2] if ctags else None
    results["peak_rss_children_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return results


def run_warm(root: str, workers: int, count: int) -> dict[str, object]:
    results: dict[str, object] = {}
    cache = tempfile.mkdtemp(prefix="ghostls-bench-warm-")
    try:
        WorkspaceIndex(root, cache_dir=cache, workers=workers).build()
        results["db_mb"] = sum(f.stat().st_size for f in Path(cache).rglob("*")) / 1e6
        warm = warm_restarts(root, cache, 5)
        results["warm_s"] = warm
        results["warm_process_s"] = warm_restart_process(root, cache)
        exact, prefix, scan = lookups(root, cache, count, seed=7)
        results["lookup_exact_ms"] = {"p50": percentile(exact, 0.5) * 1e3, "p95": percentile(exact, 0.95) * 1e3}
        results["lookup_prefix_ms"] = {"p50": percentile(prefix, 0.5) * 1e3, "p95": percentile(prefix, 0.95) * 1e3}
        results["lookup_full_scan_ms"] = {"p50": statistics.median(scan) * 1e3}
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return results


def run_server(root: str) -> dict[str, object]:
    server_cache = tempfile.mkdtemp(prefix="ghostls-bench-server-")
    try:
        return {"server_cold": server_index(root, server_cache), "server_warm": server_index(root, server_cache)}
    finally:
        shutil.rmtree(server_cache, ignore_errors=True)


def run_incremental(root: str, edits: int) -> dict[str, object]:
    results: dict[str, object] = {}
    inc = incremental_updates(ten_thousand_lines(root), edits, seed=11)
    for key, values in inc.items():
        results[f"incremental_{key}_ms"] = {"p50": percentile(values, 0.5) * 1e3, "p95": percentile(values, 0.95) * 1e3}
    return results


def print_cold(results: dict, workers: int) -> None:
    cold, cold_cpu = results["cold_s"], results["cold_cpu_s"]
    cold_mid = statistics.median(cold)
    print(f"tree: {results['files']} files, {results['bytes'] / 1e6:.1f} MB, {results['symbols']} symbols "
          f"(skipped {results['skipped']})")
    print(f"cold index ({workers} workers): " + ", ".join(f"{s:.2f}s" for s in cold)
          + f"  median {cold_mid:.2f}s  (goal <= 8 s); CPU " + ", ".join(f"{s:.1f}s" for s in cold_cpu)
          + f" = {statistics.median(cold_cpu) / workers:.2f}s per core if the {workers} cores were free")
    if results["ctags_s"]:
        ctags_mid = statistics.median(results["ctags_s"])
        runs = ", ".join(f"{s:.2f}s" for s in results["ctags_s"])
        print(f"ctags -R (same tree, same languages): {runs}  median {ctags_mid:.2f}s, {results['ctags_tags']} tags;"
              f"  ghostls/ctags = {cold_mid / ctags_mid:.2f}x wall; ctags CPU "
              f"{statistics.median(results['ctags_cpu_s']):.2f}s = "
              f"{statistics.median(cold_cpu) / statistics.median(results['ctags_cpu_s']):.1f}x less CPU")
    else:
        print("ctags: not installed (apt-get install universal-ctags)")


def print_warm(results: dict) -> None:
    warm = results["warm_s"]
    print(f"warm restart in-process: p50 {percentile(warm, 0.5):.3f}s p95 {percentile(warm, 0.95):.3f}s; "
          f"as a fresh 'ghostls index' process: {results['warm_process_s']:.2f}s  (goal <= 1 s)")
    if "cold_s" in results:
        print(f"cold/warm = {statistics.median(results['cold_s']) / percentile(warm, 0.5):.0f}x")
    ex, pr, sc = results["lookup_exact_ms"], results["lookup_prefix_ms"], results["lookup_full_scan_ms"]
    print(f"look-up exact: p50 {ex['p50']:.3f} ms p95 {ex['p95']:.3f} ms (goal p95 <= 1 ms); prefix(3 chars, 50 max): "
          f"p50 {pr['p50']:.3f} ms p95 {pr['p95']:.3f} ms; unindexed scan p50 {sc['p50']:.1f} ms = "
          f"{sc['p50'] / ex['p50']:.0f}x slower")


def print_incremental(results: dict) -> None:
    iw, ic = results["incremental_wall_ms"], results["incremental_cpu_ms"]
    ew, pw = results["incremental_edit_wall_ms"], results["incremental_parse_wall_ms"]
    fw, fc = results["incremental_fresh_wall_ms"], results["incremental_fresh_cpu_ms"]
    print(f"incremental update, 10,000-line document, 1-char edit: wall p50 {iw['p50']:.2f} ms p95 {iw['p95']:.2f} ms,"
          f" CPU p50 {ic['p50']:.2f} ms p95 {ic['p95']:.2f} ms (goal p95 <= 5 ms); fresh parse wall p50 "
          f"{fw['p50']:.2f} ms CPU p50 {fc['p50']:.2f} ms;  fresh/incremental = {fw['p50'] / iw['p50']:.1f}x")
    print(f"  of which edit bookkeeping (apply_change + listeners): p50 {ew['p50']:.2f} ms p95 {ew['p95']:.2f} ms;"
          f" tree-sitter re-parse (get): p50 {pw['p50']:.2f} ms p95 {pw['p95']:.2f} ms")


def print_server(results: dict) -> None:
    sc_, sw_ = results["server_cold"], results["server_warm"]
    print(f"real server ('ghostls serve', no model): cold index {sc_['index_s']:.2f}s after initialize, "
          f"warm restart {sw_['index_s']:.2f}s after initialize (process start {sw_['start_s']:.2f}s); "
          f"server RSS after indexing {sc_['rss_mb']:.0f} MB, peak {sc_['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    raise SystemExit(main())
