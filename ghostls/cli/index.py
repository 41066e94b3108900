"""``ghostls index PATH``: build or refresh a folder's index, with a progress bar and a summary."""

from __future__ import annotations

import argparse
import json
import os
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("index", help="build or refresh the symbol index of a folder")
    p.add_argument("path", help="the workspace folder to index")
    p.add_argument("--json", action="store_true", help="print the summary as JSON (no progress bar)")
    p.add_argument("--cache-dir", default="", help="where the index lives (default: the user's cache)")
    p.add_argument("--max-file-kb", type=int, default=1024, help="skip files larger than this (KiB)")
    p.add_argument("--exclude", action="append", default=[], help="extra gitignore-style pattern (repeatable)")
    p.add_argument("--workers", type=int, default=0, help="parser processes (default: all cores)")
    p.set_defaults(func=run)


class ProgressBar:
    """A one-line bar on stderr, redrawn only when it changes."""

    def __init__(self, stream=sys.stderr, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self._last = ""

    def __call__(self, done: int, total: int, message: str) -> None:
        fraction = done / total if total else 1.0
        filled = int(self.width * fraction)
        line = f"\r[{'#' * filled}{'.' * (self.width - filled)}] {int(fraction * 100):3d}% {done}/{total} files"
        if line != self._last:
            self._last = line
            self.stream.write(line)
            self.stream.flush()

    def finish(self) -> None:
        if self._last:
            self.stream.write("\n")
            self.stream.flush()


def run(args: argparse.Namespace) -> int:
    from ghostls.indexing.workspace import WorkspaceIndex

    root = os.path.abspath(args.path)
    if not os.path.isdir(root):
        print(f"ghostls index: {args.path} is not a directory", file=sys.stderr)
        return 2
    problems: list[str] = []
    index = WorkspaceIndex(root, cache_dir=args.cache_dir, max_file_kb=args.max_file_kb, exclude=args.exclude,
                           workers=args.workers, on_problem=problems.append)
    for problem in problems:
        print(f"ghostls index: {problem}", file=sys.stderr)
    bar = None if args.json or not sys.stderr.isatty() else ProgressBar()
    try:
        stats = index.build(bar)
        summary = {**stats.as_dict(), **index.stats()}
    finally:
        if bar is not None:
            bar.finish()
        index.close()
    if args.json:
        json.dump(summary, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(format_summary(summary))
    return 0


def format_summary(s: dict) -> str:
    lines = [
        f"Indexed {s['root']}",
        f"  files:   {s['files']} indexed ({s['bytes'] / 1e6:.1f} MB); this run parsed {s['parsed']}, "
        f"{s['unchanged']} unchanged, {s['removed']} removed",
    ]
    if s["skipped"]:
        lines.append("  skipped: " + ", ".join(f"{n} {why}" for why, n in sorted(s["skipped"].items())))
    lines.append(f"  symbols: {s['symbols']}")
    for language, count in s["symbolsByLanguage"].items():
        lines.append(f"    {language:<11} {count:>8} in {s['filesByLanguage'].get(language, 0)} files")
    lines.append(f"  time:    {s['seconds']:.2f} s ({s['workers']} worker{'s' if s['workers'] != 1 else ''})")
    lines.append(f"  cache:   {s['cache']}")
    return "\n".join(lines)
