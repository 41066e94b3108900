"""The ``ghostls`` command.  Each sub-command lives in its own module with ``add_parser``."""

from __future__ import annotations

import argparse
import importlib
import sys

from ghostls import __version__

SUBCOMMANDS = [
    "ghostls.cli.serve",
    "ghostls.cli.complete",
    "ghostls.cli.views",
    "ghostls.cli.prompt",
    "ghostls.cli.schema",
    "ghostls.cli.index",
    "ghostls.cli.replay",
    "ghostls.cli.explain",
    "ghostls.cli.finetune",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ghostls", description="AI inline completions and code "
                                     "explanations as a language server.")
    parser.add_argument("--version", action="version", version=f"ghostls {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(name).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
