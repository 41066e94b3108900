"""``ghostls tokens|attention|positions FILE [--range L1:C1-L2:C2] [--html OUT] [--json]``.

Runs the view through a real ghostls server (``HeadlessSession``), like an editor would.
Lines and columns in ``--range`` are 1-based and count characters (code points), as editors
display them; they are converted to the server's UTF-16 positions here.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from ghostls.cli.options import add_settings_arguments, settings_from_args

COMMANDS = {"tokens": "ghostls.showTokens", "attention": "ghostls.showAttention",
            "positions": "ghostls.showPositions"}
_RANGE = re.compile(r"^(\d+):(\d+)-(\d+):(\d+)$")


def parse_range(text: str, source: str) -> dict[str, Any]:
    """'L1:C1-L2:C2' (1-based lines and characters) -> an LSP range in UTF-16 units."""
    match = _RANGE.match(text.strip())
    if not match:
        raise ValueError(f"--range must look like 3:1-10:80 (line:column-line:column, 1-based), not {text!r}")
    l1, c1, l2, c2 = (int(g) for g in match.groups())
    if min(l1, c1, l2, c2) < 1:
        raise ValueError("--range lines and columns start at 1")
    lines = source.split("\n")

    def position(line: int, column: int) -> dict[str, int]:
        if line > len(lines):
            raise ValueError(f"line {line} is past the end of the file ({len(lines)} lines)")
        prefix = lines[line - 1][: column - 1]
        return {"line": line - 1, "character": len(prefix.encode("utf-16-le")) // 2}

    return {"start": position(l1, c1), "end": position(l2, c2)}


def add_parser(sub: argparse._SubParsersAction) -> None:
    helps = {"tokens": "show how the model tokenizes a file or a range of it",
             "attention": "show where the model's attention goes over a range (local model)",
             "positions": "show the model's positional encoding (learned, sinusoidal or rotary)"}
    for name, text in helps.items():
        p = sub.add_parser(name, help=text, description=text + ". Runs a real ghostls server.")
        p.add_argument("file", type=Path)
        p.add_argument("--range", help="L1:C1-L2:C2, 1-based lines and columns (default: the whole file)")
        p.add_argument("--html", type=Path, metavar="OUT", help="write the self-contained HTML page here")
        p.add_argument("--json", action="store_true", help="print the view's JSON (without the HTML)")
        add_settings_arguments(p)
        if name == "tokens":
            p.add_argument("--compare", choices=["gpt2"], help="also tokenize with this tokenizer")
        if name == "attention":
            p.add_argument("--aggregation", choices=["mean", "max", "rollout"], default="mean")
            p.add_argument("--layers", help="comma-separated layer indices (default: all)")
            p.add_argument("--heads", help="comma-separated head indices (default: all)")
            p.add_argument("--exclude-sinks", action="store_true", help="ignore attention to the first token")
            p.add_argument("--context", action="store_true", help="include the file above the range as context")
            p.add_argument("--top-k", type=int, help="keys listed per query token")
        p.set_defaults(func=run, view=name)


def _command_params(args: argparse.Namespace, uri: str, source: str) -> dict[str, Any]:
    params: dict[str, Any] = {"uri": uri, "html": bool(args.html)}
    if args.range:
        params["range"] = parse_range(args.range, source)
    if args.view == "tokens" and args.compare:
        params["compareWith"] = args.compare
    if args.view == "attention":
        params.update({"aggregation": args.aggregation, "excludeSinks": args.exclude_sinks,
                       "includeContext": args.context})
        for key in ("layers", "heads"):
            if getattr(args, key):
                params[key] = [int(v) for v in getattr(args, key).split(",") if v.strip()]
        if args.top_k:
            params["topK"] = args.top_k
    return params


def _summary(view: str, data: dict[str, Any]) -> str:
    if view == "tokens":
        t = data["totals"]
        lines = [f"{data['tokenizer']['name']}: {t['tokens']} tokens, {t['characters']} characters, "
                 f"{t['bytes']} bytes, {t['charactersPerToken']} characters/token"
                 + (f", {100 * t['contextShare']:.1f}% of a {t['contextWindow']}-token window"
                    if t.get("contextWindow") else "")]
        lines.append(" | ".join(g["text"].replace("\n", "\\n") for g in data["groups"][:200]))
        if data.get("compare"):
            c = data["compare"]["totals"]
            lines.append(f"{data['compare']['tokenizer']['name']}: {c['tokens']} tokens")
        if data.get("note"):
            lines.append(data["note"])
        return "\n".join(lines)
    if view == "attention":
        out = [f"{len(data['tokens'])} tokens, {len(data['queries'])} queries, "
               f"{data['options']['aggregation']} over {len(data['options']['layers'])} layers x "
               f"{len(data['options']['heads'])} heads; forward {data['timings']['forwardSeconds']:.2f}s"]
        out.append("lines by attention received:")
        for line in sorted(data["lines"], key=lambda x: -x["mass"])[:10]:
            out.append(f"  line {line['line'] + 1}: {line['mass']:.4f}")
        out.append("identifiers: " + ", ".join(f"{i['name']} {i['mass']:.3f}" for i in data["identifiers"][:10]))
        return "\n".join(out)
    extra = {"rotary": f"{len(data.get('pairs', []))} frequency pairs, theta {data.get('theta')}, "
             f"{data.get('pairsLongerThanContext')} longer than the context window",
             "learned": f"table {data.get('maxPositions')} x {data.get('dim')}"}
    return f"{data['architecture']}: {data['kind']} positions; " + extra.get(data["kind"], "")


async def _run(args: argparse.Namespace) -> int:
    from ghostls.harness import HeadlessSession

    if not args.file.is_file():
        print(f"ghostls: {args.file} is not a file", file=sys.stderr)
        return 2
    source = args.file.read_text(encoding="utf-8")
    settings = settings_from_args(args)
    async with HeadlessSession(settings, root=args.file.parent,
                               on_message=(lambda m: None) if args.json else None) as session:
        uri = session.open(args.file, source)
        try:
            params = _command_params(args, uri, source)
        except ValueError as exc:
            print(f"ghostls: {exc}", file=sys.stderr)
            return 2
        try:
            result = await session.command(COMMANDS[args.view], params)
        except Exception as exc:  # the server's error message says what to change
            print(f"ghostls: {exc}", file=sys.stderr)
            return 1
    data = result if isinstance(result, dict) else json.loads(json.dumps(result, default=vars))
    page = data.pop("html", None)
    if args.html and page:
        args.html.write_text(page, encoding="utf-8")
        print(f"wrote {args.html}", file=sys.stderr)
    print(json.dumps(data, indent=1, ensure_ascii=False) if args.json else _summary(args.view, data))
    return 0


def run(args: argparse.Namespace) -> int:
    import asyncio

    return asyncio.run(_run(args))
