"""Adapters on disk: next to the model cache, one folder each, with what they were made from.

``<cache>/adapters/<base model>/<workspace>-<data hash>/`` holds peft's files
(``adapter_config.json``, ``adapter_model.safetensors``) and ``ghostls-adapter.json``: the base
model, its fingerprint, the data hash, the training figures.  Saves are atomic (a temporary
folder renamed into place), so an interrupted save never leaves a half-written adapter.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from ghostls.providers.embedded import cache_root

METADATA = "ghostls-adapter.json"
PEFT_CONFIG = "adapter_config.json"


def adapters_root() -> Path:
    return cache_root() / "adapters"


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "model"


def adapter_dir(base_label: str, workspace: str | Path, data_hash: str) -> Path:
    return adapters_root() / slug(base_label) / f"{slug(Path(workspace).resolve().name)}-{data_hash}"


def base_fingerprint(model: Any) -> str:
    """The base model's architecture (what must match for an adapter to apply)."""
    config = getattr(model, "config", None)
    keys = ("model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
            "num_attention_heads", "num_key_value_heads", "n_embd", "n_layer", "n_head")
    facts = {k: getattr(config, k, None) for k in keys}
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:16]


def save_adapter(peft_model: Any, path: str | Path, metadata: dict[str, Any]) -> Path:
    """Write the adapter and its metadata to ``path`` atomically; returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    peft_model.save_pretrained(str(tmp))
    (tmp / METADATA).write_text(json.dumps(metadata, indent=2, sort_keys=True), encoding="utf-8")
    old = path.with_name(f".{path.name}.{os.getpid()}.old")
    if path.exists():
        path.rename(old)
    tmp.rename(path)
    shutil.rmtree(old, ignore_errors=True)
    return path


def update_metadata(path: str | Path, **changes: Any) -> dict[str, Any]:
    meta = read_metadata(path)
    meta.update(changes)
    target = Path(path) / METADATA
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(target)
    return meta


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The adapter's ghostls metadata ({} for a plain peft adapter without it)."""
    try:
        return json.loads((Path(path) / METADATA).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def is_adapter(path: str | Path) -> bool:
    return (Path(path) / PEFT_CONFIG).is_file()


def list_adapters() -> list[Path]:
    root = adapters_root()
    if not root.is_dir():
        return []
    return sorted(p.parent for p in root.glob(f"*/*/{PEFT_CONFIG}") if not p.parent.name.startswith("."))
