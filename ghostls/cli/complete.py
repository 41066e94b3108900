"""``ghostls complete FILE --line N --character N``: one inline completion through a real server."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ghostls.cli.options import add_settings_arguments, settings_from_args


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("complete", help="ask a real ghostls server for the inline completion at a position")
    p.add_argument("file", type=Path)
    p.add_argument("--line", type=int, required=True, help="0-based line")
    p.add_argument("--character", type=int, required=True, help="0-based character (UTF-16 units)")
    add_settings_arguments(p)
    p.add_argument("--json", action="store_true", help="print JSON for tools")
    p.add_argument("--repeat", type=int, default=1, help="ask N times and report latency (p50/p95)")
    p.set_defaults(func=run)


async def _complete(args: argparse.Namespace) -> int:
    from ghostls.harness import HeadlessSession, item_to_json

    settings = settings_from_args(args)
    if not args.file.is_file():
        print(f"ghostls: {args.file} is not a file", file=sys.stderr)
        return 2
    quiet = args.json
    async with HeadlessSession(settings, root=args.file.parent,
                               on_message=(lambda m: None) if quiet else None) as session:
        uri = session.open(args.file)
        status = await session.command("ghostls.status")
        latencies: list[float] = []
        items = []
        for _ in range(max(1, args.repeat)):
            started = time.perf_counter()
            items = await session.inline(uri, args.line, args.character)
            latencies.append(time.perf_counter() - started)
        status = await session.command("ghostls.status")
    provider = status.get("provider", {}) if isinstance(status, dict) else getattr(status, "provider", {})
    if args.json:
        out = {"items": [item_to_json(i) for i in items], "latencySeconds": latencies,
               "provider": provider}
        print(json.dumps(out, indent=2, default=str))
    else:
        if not items:
            print("(no suggestion)")
            if provider.get("error"):
                print(f"ghostls: {provider['error']}", file=sys.stderr)
        for item in items:
            print(item_to_json(item)["insertText"])
        if args.repeat > 1:
            ordered = sorted(latencies)
            p50 = ordered[len(ordered) // 2]
            p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
            print(f"latency over {len(ordered)} requests: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms",
                  file=sys.stderr)
    return 0 if items else 1


def run(args: argparse.Namespace) -> int:
    import asyncio

    return asyncio.run(_complete(args))
