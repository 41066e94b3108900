"""``ghostls schema``: every server setting as JSON, the one source editor clients mirror."""

from __future__ import annotations

import argparse
import json
import os
import sys

from ghostls.settings import settings_schema


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schema", help="print every setting (type, default, description) as JSON")
    p.add_argument("--indent", type=int, default=2, help="JSON indentation (0 for one line)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    text = json.dumps(settings_schema(), indent=args.indent or None, sort_keys=False)
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `ghostls schema | head`: the reader has what it wanted (see the
        # Python docs on SIGPIPE): point stdout at devnull so the flush at exit stays quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
