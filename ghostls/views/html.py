"""Each view as one self-contained HTML page: the data as inline JSON, the CSS and JavaScript
inline (from ``assets/``), no external URL of any kind, so a VS Code webview, a browser or a
file on disk shows it offline.  Light and dark themes follow ``prefers-color-scheme`` and VS
Code's ``vscode-dark``/``vscode-light`` body classes; a button switches by hand.
"""

from __future__ import annotations

import functools
import html
import json
from importlib import resources
from typing import Any

KINDS = ("tokens", "attention", "positions", "why")


@functools.cache
def _asset(name: str) -> str:
    return resources.files("ghostls.views").joinpath("assets", name).read_text(encoding="utf-8")


def _json_for_script(data: Any) -> str:
    """JSON that cannot end the <script> element it sits in."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace(
        "\u2028", "\\u2028").replace("\u2029", "\\u2029")


def render_page(kind: str, data: dict[str, Any], title: str = "") -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown view {kind!r}")
    payload = {k: v for k, v in data.items() if k != "html"}
    return (_asset("page.html")
            .replace("{{title}}", html.escape(title or f"ghostls {kind}"))
            .replace("{{kind}}", kind)
            .replace("/*{{css}}*/", _asset("views.css"))
            .replace("/*{{js}}*/", _asset("views.js"))
            .replace("{{data}}", _json_for_script(payload)))
