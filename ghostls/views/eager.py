"""An eager-attention twin of a loaded model, sharing its weights.

The completion model runs with ``sdpa`` attention, which never returns attention weights.
Reloading the weights with ``attn_implementation="eager"`` would double the memory; instead we
build the same architecture on the meta device and *assign* the loaded tensors to it, so the
twin costs only its small non-persistent buffers (rotary frequencies).  Both share one set of
weights and may run at the same time (forward passes only read them).
"""

from __future__ import annotations

import copy
import logging
import threading
import weakref
from typing import Any

log = logging.getLogger(__name__)

_twins: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def eager_twin(model: Any) -> Any:
    """The cached eager-attention twin of ``model`` (``model`` itself if it already is eager)."""
    if getattr(model.config, "_attn_implementation", None) == "eager":
        return model
    with _lock:
        twin = _twins.get(model)
        if twin is None:
            twin = _build_twin(model)
            _twins[model] = twin
            log.info("eager attention twin ready: %s extra", _mib(extra_bytes(twin, model)))
        return twin


def _build_twin(model: Any) -> Any:
    import torch
    from transformers import AutoModelForCausalLM

    config = copy.deepcopy(model.config)
    try:
        with torch.device("meta"):
            twin = AutoModelForCausalLM.from_config(config, attn_implementation="eager", dtype=model.dtype)
        twin.load_state_dict(model.state_dict(), assign=True, strict=True)
        for name, buf in model.named_buffers():
            owner, _, attr = name.rpartition(".")
            module = twin.get_submodule(owner) if owner else twin
            module.register_buffer(attr, buf, persistent=name in dict(twin.state_dict()))
        if getattr(config, "tie_word_embeddings", False):
            twin.tie_weights()
        leftover = [n for n, t in list(twin.named_parameters()) + list(twin.named_buffers()) if t.is_meta]
        if leftover:
            raise RuntimeError(f"tensors not shared: {leftover[:3]}")
    except Exception as exc:  # an architecture the meta trick does not suit: pay for a copy
        log.warning("sharing weights with the eager twin failed (%s); copying the model instead", exc)
        twin = copy.deepcopy(model)
        twin.set_attn_implementation("eager")
    twin.eval()
    return twin


def extra_bytes(twin: Any, model: Any) -> int:
    """Bytes the twin holds that ``model`` does not share."""
    if twin is model:
        return 0
    shared = {t.data_ptr() for t in list(model.parameters()) + list(model.buffers())}
    seen: set[int] = set()
    total = 0
    for t in list(twin.parameters()) + list(twin.buffers()):
        ptr = t.data_ptr()
        if ptr in shared or ptr in seen:
            continue
        seen.add(ptr)
        total += t.numel() * t.element_size()
    return total


def weight_bytes(model: Any) -> int:
    return sum(p.numel() * p.element_size() for p in model.parameters())


def attention_modules(model: Any) -> list[Any]:
    """The self-attention module of each layer, in order (they return ``(output, weights)``)."""
    base = getattr(model, "base_model", model)
    recorder = getattr(base, "_can_record_outputs", None) or getattr(model, "_can_record_outputs", None) or {}
    spec = recorder.get("attentions")
    target = getattr(spec, "target_class", spec) if spec is not None else None
    layer_name = getattr(spec, "layer_name", None)
    found = []
    for name, module in model.named_modules():
        if target is not None and isinstance(target, type):
            if isinstance(module, target) and (layer_name is None or name.endswith(layer_name.lstrip("."))
                                               or name.endswith(layer_name)):
                found.append(module)
        elif type(module).__name__.endswith("Attention") and name.rsplit(".", 1)[-1] in ("self_attn", "attn"):
            found.append(module)
    return found


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"
