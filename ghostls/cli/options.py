"""Options shared by the sub-commands that start a server (``--settings``, ``--model``).

Kept apart from ``ghostls.harness`` so that building the argument parser (every ``ghostls``
command, ``--help`` included) does not import the LSP client stack.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def parse_settings_arg(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    path = Path(text)
    raw = path.read_text() if path.is_file() else text
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise SystemExit("--settings must be a JSON object (or a file holding one)")
    return value


def add_settings_arguments(parser: Any) -> None:
    """``--settings`` and ``--model``, the same on every sub-command that starts a server."""
    parser.add_argument("--settings", help="settings as JSON, or a JSON file")
    parser.add_argument("--model", help="shortcut for the 'model' setting")


def settings_from_args(args: Any) -> dict[str, Any]:
    """The settings a sub-command's ``--settings`` and ``--model`` ask for."""
    settings = parse_settings_arg(args.settings)
    if args.model:
        settings["model"] = args.model
    return settings
