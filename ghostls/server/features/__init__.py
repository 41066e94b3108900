"""LSP feature modules.  Each exposes ``register(server)``; add new modules to MODULES."""

from __future__ import annotations

import importlib
from typing import Any

MODULES = [
    "ghostls.server.features.lifecycle",
    "ghostls.server.features.documents",
    "ghostls.server.features.inline_completion",
    "ghostls.server.features.commands",
    "ghostls.server.features.views",
    "ghostls.server.features.context",
    "ghostls.server.features.indexing",
    "ghostls.server.features.explain",
    "ghostls.server.features.finetune",
]


def register_all(server: Any) -> None:
    for name in MODULES:
        importlib.import_module(name).register(server)
