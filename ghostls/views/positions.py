"""How the model in use encodes positions: learned absolute, sinusoidal, or rotary (RoPE).

* learned absolute (GPT-2 ``wpe``): a heatmap of the embedding table (positions x dimensions,
  pooled) and the position-to-position cosine similarity of a sample of positions;
* sinusoidal (Vaswani et al.): the same two views of the closed-form table;
* rotary: each frequency pair's frequency and wavelength against the context length, i.e.
  which dimensions turn many times inside the window and which barely turn at all.
"""

from __future__ import annotations

import base64
import math
from typing import Any

_MAX_SIDE = 256


def detect_encoding(model: Any) -> tuple[str, Any]:
    """("learned", table) | ("rotary", inv_freq) | ("sinusoidal", None) | ("none", None)."""
    config = model.config
    n_positions = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None)
    for name, module in model.named_modules():
        weight = getattr(module, "weight", None)
        leaf = name.rsplit(".", 1)[-1]
        if (type(module).__name__ == "Embedding" and weight is not None and weight.shape[0] == n_positions
                and ("pos" in leaf or leaf == "wpe")):
            if "sinusoid" in type(module).__name__.lower():
                return "sinusoidal", weight.detach()
            return "learned", weight.detach()
    for name, buf in model.named_buffers():
        if name.endswith("inv_freq"):
            return "rotary", buf.detach()
    if getattr(config, "position_embedding_type", "") == "sinusoidal":
        return "sinusoidal", None
    return "none", None


def sinusoidal_table(positions: int, dim: int) -> Any:
    import torch

    pos = torch.arange(positions, dtype=torch.float32).unsqueeze(1)
    div = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(positions, dim)
    table[:, 0::2] = torch.sin(pos * div)
    table[:, 1::2] = torch.cos(pos * div[: dim // 2])
    return table


def cosine_similarity_matrix(table: Any, positions: list[int]) -> Any:
    rows = table[positions].float()
    rows = rows / rows.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    return rows @ rows.T


def _sample(count: int, limit: int = _MAX_SIDE) -> list[int]:
    if count <= limit:
        return list(range(count))
    return sorted({round(i * (count - 1) / (limit - 1)) for i in range(limit)})


def _bytes_signed(matrix: Any) -> tuple[str, float]:
    """Values in [-scale, scale] -> base64 uint8 (128 = 0) and the scale."""
    import torch

    scale = float(matrix.abs().max()) or 1.0
    q = torch.round(matrix / scale * 127 + 128).clamp(0, 255).to(torch.uint8)
    return base64.b64encode(q.contiguous().numpy().tobytes()).decode("ascii"), scale


def _table_views(table: Any, n_positions: int) -> dict[str, Any]:
    positions = _sample(min(n_positions, table.shape[0]))
    dims = _sample(table.shape[1], 128)
    heat, heat_scale = _bytes_signed(table[positions][:, dims].float())
    sim = cosine_similarity_matrix(table, positions)
    sim_data, _ = _bytes_signed(sim)
    return {"positions": positions, "dims": dims,
            "heatmap": {"rows": len(positions), "cols": len(dims), "encoding": "int8-offset128-base64",
                        "scale": heat_scale, "data": heat},
            "cosine": {"rows": len(positions), "cols": len(positions), "encoding": "int8-offset128-base64",
                       "scale": 1.0, "data": sim_data}}


def positional_view(model: Any, context_window: int, selection_tokens: int | None = None) -> dict[str, Any]:
    config = model.config
    kind, data = detect_encoding(model)
    n_positions = int(getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", 0)
                      or context_window)
    out: dict[str, Any] = {"kind": kind, "architecture": type(model).__name__, "maxPositions": n_positions,
                           "contextWindow": context_window}
    if selection_tokens is not None:
        out["selection"] = {"tokens": selection_tokens, "positions": [0, selection_tokens]}
    if kind == "learned":
        out.update(_table_views(data, n_positions))
        out["dim"] = int(data.shape[1])
    elif kind == "sinusoidal":
        dim = int(getattr(config, "hidden_size", None) or getattr(config, "d_model", 512))
        table = data if data is not None else sinusoidal_table(min(n_positions, 4096), dim)
        out.update(_table_views(table, n_positions))
        out["dim"] = dim
    elif kind == "rotary":
        inv_freq = data.float()
        head_dim = int(getattr(config, "head_dim", None)
                       or config.hidden_size // config.num_attention_heads)
        wavelengths = (2 * math.pi / inv_freq).tolist()
        rope = getattr(config, "rope_parameters", None) or {}
        theta = rope.get("rope_theta") if isinstance(rope, dict) else None
        theta = theta or getattr(config, "rope_theta", None)
        out.update({
            "headDim": head_dim, "rotaryDim": int(inv_freq.numel() * 2), "theta": theta,
            "ropeType": rope.get("rope_type", "default") if isinstance(rope, dict) else "default",
            "pairs": [{"pair": i, "frequency": float(f"{float(f):.6g}"), "wavelength": float(f"{w:.6g}"),
                       "turnsInContext": float(f"{context_window / w:.6g}")}
                      for i, (f, w) in enumerate(zip(inv_freq.tolist(), wavelengths, strict=False))],
            "pairsLongerThanContext": sum(1 for w in wavelengths if w > context_window),
        })
    return out
