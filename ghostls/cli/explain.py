"""``ghostls explain FILE --range L1:C1-L2:C2 [--question TEXT]``: print the explanation as it streams.

Runs ``ghostls.explain`` through a real ghostls server (``HeadlessSession``), like an editor
would, with the file's folder as the workspace (so definitions in neighbouring files are found).
Lines and columns are 1-based and count characters, as editors show them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ghostls.cli.options import add_settings_arguments, settings_from_args
from ghostls.cli.views import parse_range


class StreamPrinter:
    """Prints the new part of each ``ghostls/stream`` text; falls back to a reprint if it was rewritten."""

    def __init__(self, out: Any = None) -> None:
        self.out = out or sys.stdout
        self.printed = ""

    def __call__(self, text: str, done: bool = False) -> None:
        if text.startswith(self.printed):
            self.out.write(text[len(self.printed):])
        else:
            self.out.write("\n\n" + text)
        self.out.flush()
        self.printed = text

    def finish(self, markdown: str) -> None:
        """Print what the final Markdown adds to the streamed text (all of it when nothing streamed)."""
        shown, final = self.printed.strip(), markdown.strip()
        if shown and final.startswith(shown):
            self.out.write(final[len(shown):])
        else:
            self.out.write(("\n\n" if shown else "") + final)
        self.out.write("\n")
        self.out.flush()


def add_parser(sub: argparse._SubParsersAction) -> None:
    text = "explain a range of a file with the model, streaming Markdown"
    p = sub.add_parser("explain", help=text, description=text + ". Runs a real ghostls server.")
    p.add_argument("file", type=Path)
    p.add_argument("--range", required=True, help="L1:C1-L2:C2, 1-based lines and columns")
    p.add_argument("--question", help="what to ask about the code (default: explain what it does)")
    p.add_argument("--max-new-tokens", type=int, help="most tokens in the explanation")
    add_settings_arguments(p)
    p.add_argument("--json", action="store_true", help="print the result's JSON at the end instead of streaming")
    p.set_defaults(func=run)


async def _run(args: argparse.Namespace) -> int:
    from ghostls.harness import HeadlessSession

    if not args.file.is_file():
        print(f"ghostls: {args.file} is not a file", file=sys.stderr)
        return 2
    try:
        source = args.file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        print(f"ghostls: {args.file} is not UTF-8 text (a binary file?); only source code can be explained",
              file=sys.stderr)
        return 2
    try:
        lsp_range = parse_range(args.range, source)
    except ValueError as exc:
        print(f"ghostls: {exc}", file=sys.stderr)
        return 2
    settings = settings_from_args(args)
    printer = StreamPrinter()
    params: dict[str, Any] = {"range": lsp_range, "streamId": "cli"}
    if args.question:
        params["question"] = args.question
    if args.max_new_tokens:
        params["maxNewTokens"] = args.max_new_tokens
    async with HeadlessSession(settings, root=args.file.parent.resolve()) as session:
        params["uri"] = session.open(args.file, source)
        if not args.json:
            session.stream_listeners["cli"] = lambda text, done: None if done else printer(text)
        try:
            result = await session.command("ghostls.explain", params)
        except Exception as exc:  # the server's message says what to change
            print(f"ghostls: {exc}", file=sys.stderr)
            return 1
    data = result if isinstance(result, dict) else json.loads(json.dumps(result, default=vars))
    if args.json:
        print(json.dumps(data, indent=1, ensure_ascii=False))
    else:
        printer.finish(data.get("markdown", ""))
        print(f"[{data.get('provider')} {data.get('model')}: {data.get('promptTokens')} prompt tokens"
              + (", selection truncated" if data.get("truncated") else "") + "]", file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    import asyncio

    return asyncio.run(_run(args))
