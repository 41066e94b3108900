"""Switching LoRA adapters on a loaded local model, without reloading it.

``peft`` injects the adapter's layers into the provider's own model object (``PeftModel``
wraps it and replaces its linear layers in place), so the provider keeps calling the same
``provider.model`` and gets the adapted outputs.  Removing the adapter (``unload``) puts the
original layers back: outputs are the base model's again, bit for bit.

A switch holds the provider's model scheduler (no generation runs half with, half without the
adapter) and clears its key/value prefix cache (cached keys were computed by the other weights).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ghostls.finetune.store import PEFT_CONFIG, base_fingerprint, read_metadata
from ghostls.providers.base import ProviderError

log = logging.getLogger(__name__)

ADAPTER_NAME = "ghostls"


@dataclass(frozen=True)
class ActiveAdapter:
    path: str
    base_model: str = ""
    data_hash: str = ""
    figures: dict[str, Any] = field(default_factory=dict)
    load_seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "name": Path(self.path).name, "baseModel": self.base_model,
                "dataHash": self.data_hash, "figures": self.figures, "loadSeconds": round(self.load_seconds, 3)}


# The PeftModel wrapping each provider's model (weak: a closed provider takes its entry along).
_WRAPPERS: weakref.WeakKeyDictionary[Any, tuple[Any, ActiveAdapter]] = weakref.WeakKeyDictionary()


def supports_adapters(provider: Any) -> bool:
    return hasattr(provider, "model") and hasattr(provider, "scheduler") and hasattr(provider, "prefix_cache")


def active_adapter(provider: Any) -> ActiveAdapter | None:
    entry = _WRAPPERS.get(provider)
    return entry[1] if entry else None


def check_adapter_path(path: str) -> Path:
    """The adapter folder named by ``path``; ProviderError telling how to fix a bad one."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise ProviderError(f"No adapter folder at {folder} ('ghostls.finetune.adapter'). Run `ghostls finetune "
                            "WORKSPACE` to make one, or leave the setting empty.", kind="adapter")
    if not (folder / PEFT_CONFIG).is_file():
        raise ProviderError(f"{folder} has no {PEFT_CONFIG}: it is not a LoRA adapter saved by `ghostls "
                            "finetune` (or peft's save_pretrained).", kind="adapter")
    return folder


def set_adapter(provider: Any, path: str) -> ActiveAdapter | None:
    """Apply the adapter at ``path`` to the provider's loaded model ("" removes any adapter).

    Blocks until the model is free (running generations finish first).  On failure the model is
    left without an adapter and a ProviderError says why.
    """
    if not supports_adapters(provider):
        raise ProviderError("Adapters apply to the local provider only ('ghostls.provider' is "
                            f"{getattr(provider, 'name', '?')!r}).", kind="adapter")
    if getattr(provider, "compiled", False):
        raise ProviderError("Adapters cannot be switched while 'ghostls.engine.compile' is on (the compiled "
                            "CUDA graph holds the old weights); turn it off to use an adapter.", kind="adapter")
    provider.load()
    with provider.scheduler.hold(threading.Event()):
        try:
            _remove(provider)  # first: an adapter that cannot be applied leaves none behind
            folder = check_adapter_path(path) if path else None
            info = _apply(provider, folder) if folder is not None else None
        finally:
            provider.prefix_cache.clear()
    log.info("adapter %s", f"{info.path} active" if info else "removed")
    return info


def _remove(provider: Any) -> None:
    entry = _WRAPPERS.pop(provider, None)
    if entry is None:
        return
    wrapper, _ = entry
    provider.model = wrapper.unload()  # the same base module, original layers restored
    _restore_base(provider.model)
    provider.model.eval()


def _apply(provider: Any, folder: Path) -> ActiveAdapter:
    from peft import PeftModel

    meta = read_metadata(folder)
    expected = meta.get("baseFingerprint")
    if expected and expected != base_fingerprint(provider.model):
        raise ProviderError(f"The adapter {folder.name} was trained on {meta.get('baseModel', 'another model')}, "
                            f"not on the loaded model {getattr(provider, 'source_label', '')!r}: pick an adapter "
                            "made for this model (`ghostls finetune --model ...`).", kind="adapter")
    started = time.perf_counter()
    base = provider.model
    try:
        wrapper = PeftModel.from_pretrained(base, str(folder), adapter_name=ADAPTER_NAME, is_trainable=False)
    except Exception as exc:  # shapes or modules that do not match, a corrupt file
        _restore_base(base)
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise ProviderError(f"Could not apply the adapter {folder}: {first}", kind="adapter") from exc
    wrapper.eval()
    info = ActiveAdapter(path=str(folder.resolve()), base_model=str(meta.get("baseModel", "")),
                         data_hash=str(meta.get("dataHash", "")), figures=dict(meta.get("figures", {})),
                         load_seconds=time.perf_counter() - started)
    _WRAPPERS[provider] = (wrapper, info)
    # provider.model stays the base module: peft swapped its linear layers for LoRA layers in place.
    return info


def _restore_base(model: Any) -> None:
    """Put plain layers back where peft injected LoRA layers (after an unload or a failed load)."""
    from peft.tuners.tuners_utils import BaseTunerLayer

    for module in list(model.modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, BaseTunerLayer):
                setattr(module, child_name, child.get_base_layer())
    if "peft_config" in vars(model):
        del model.peft_config
