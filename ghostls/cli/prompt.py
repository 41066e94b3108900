"""``ghostls prompt FILE --line N --character N``: the exact prompt a real server would send there."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ghostls.cli.options import add_settings_arguments, settings_from_args


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prompt", help="show the prompt (and why each piece is in it) at a position")
    p.add_argument("file", type=Path)
    p.add_argument("--line", type=int, required=True, help="0-based line")
    p.add_argument("--character", type=int, required=True, help="0-based character (UTF-16 units)")
    add_settings_arguments(p)
    p.add_argument("--root", type=Path, help="workspace folder (default: the file's folder)")
    p.add_argument("--json", action="store_true", help="print the full JSON answer")
    p.set_defaults(func=run)


def format_report(answer: dict) -> str:
    """The prompt text, then one line per segment: where it came from, its score and tokens."""
    lines = [answer["text"], "", f"--- profile {answer['profile']}; budget " +
             ", ".join(f"{k} {v}" for k, v in answer["budget"].items())]
    for seg in answer["segments"]:
        if seg["kind"] == "marker":
            continue
        where = f"{seg['path']}:{seg['startLine'] + 1}-{seg['endLine'] + 1}" if seg["path"] else ""
        lines.append(f"{seg['kind']:<8} {seg['source']:<13} {seg['tokens']:>5} tokens  score {seg['score']:<8} {where}")
    return "\n".join(lines)


async def _prompt(args: argparse.Namespace) -> int:
    from ghostls.harness import HeadlessSession

    settings = settings_from_args(args)
    if not args.file.is_file():
        print(f"ghostls: {args.file} is not a file", file=sys.stderr)
        return 2
    root = args.root or args.file.resolve().parent
    async with HeadlessSession(settings, root=root, on_message=(lambda m: None) if args.json else None) as session:
        uri = session.open(args.file)
        try:
            answer = await session.command("ghostls.showPrompt", {
                "uri": uri, "position": {"line": args.line, "character": args.character}})
        except Exception as exc:
            print(f"ghostls: {exc}", file=sys.stderr)
            return 1
    answer = _plain(answer)
    print(json.dumps(answer, indent=2) if args.json else format_report(answer))
    return 0


def _plain(value: object) -> object:
    """pygls hands back JSON objects as attribute objects; make them plain dicts again."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def run(args: argparse.Namespace) -> int:
    import asyncio

    return asyncio.run(_prompt(args))
