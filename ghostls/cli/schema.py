"""``ghostls schema``: every server setting as JSON, the one source editor clients mirror."""

from __future__ import annotations

import argparse
import json
import sys

from ghostls.settings import settings_schema


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schema", help="print every setting (type, default, description) as JSON")
    p.add_argument("--indent", type=int, default=2, help="JSON indentation (0 for one line)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    json.dump(settings_schema(), sys.stdout, indent=args.indent or None, sort_keys=False)
    sys.stdout.write("\n")
    return 0
