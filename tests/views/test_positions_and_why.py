"""Positional-encoding views for the tiny Llama (rotary) and tiny GPT-2 (learned absolute), and the
"why this suggestion" recomputation."""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np
import pytest
import torch

from ghostls.providers.base import Segment
from ghostls.views.eager import eager_twin
from ghostls.views.positions import positional_view, sinusoidal_table
from ghostls.views.tokens import tokenize
from ghostls.views.why import why_view


def _signed(spec: dict[str, Any]) -> np.ndarray:
    q = np.frombuffer(base64.b64decode(spec["data"]), dtype=np.uint8).astype(np.float64)
    return ((q - 128) / 127 * spec["scale"]).reshape(spec["rows"], spec["cols"])


def test_rotary_frequencies_for_llama(tiny_llama: Any) -> None:
    view = positional_view(tiny_llama, context_window=2048, selection_tokens=12)
    config = tiny_llama.config
    head_dim = config.hidden_size // config.num_attention_heads
    theta = config.rope_parameters["rope_theta"]
    assert view["kind"] == "rotary" and view["headDim"] == head_dim and view["theta"] == theta
    assert len(view["pairs"]) == head_dim // 2
    for i, pair in enumerate(view["pairs"]):
        freq = theta ** (-2 * i / head_dim)
        assert pair["frequency"] == pytest.approx(freq, rel=1e-5)
        assert pair["wavelength"] == pytest.approx(2 * math.pi / freq, rel=1e-5)
    assert view["pairsLongerThanContext"] == sum(1 for p in view["pairs"] if p["wavelength"] > 2048)
    assert view["selection"] == {"tokens": 12, "positions": [0, 12]}


def test_learned_positions_for_gpt2(tiny_gpt2: Any) -> None:
    view = positional_view(tiny_gpt2, context_window=2048)
    wpe = tiny_gpt2.transformer.wpe.weight.detach()
    assert view["kind"] == "learned" and view["dim"] == wpe.shape[1] == 64
    positions, dims = view["positions"], view["dims"]
    assert len(positions) == 256 and positions[0] == 0 and positions[-1] == wpe.shape[0] - 1
    heat = _signed(view["heatmap"])
    np.testing.assert_allclose(heat, wpe[positions][:, dims].numpy(), atol=view["heatmap"]["scale"] / 127 + 1e-6)
    cos = _signed(view["cosine"])
    rows = torch.nn.functional.normalize(wpe[positions], dim=-1)
    np.testing.assert_allclose(cos, (rows @ rows.T).numpy(), atol=1 / 127 + 1e-6)
    assert np.allclose(np.diag(cos), 1.0, atol=1 / 127)


def test_sinusoidal_table_is_the_closed_form() -> None:
    table = sinusoidal_table(50, 16)
    pos, i = 37, 3
    assert float(table[pos, 2 * i]) == pytest.approx(math.sin(pos / 10000 ** (2 * i / 16)), abs=1e-5)
    assert float(table[pos, 2 * i + 1]) == pytest.approx(math.cos(pos / 10000 ** (2 * i / 16)), abs=1e-5)


def test_why_this_suggestion_recomputes_probabilities_and_segment_mass(tiny_llama: Any, tiny_tokenizer: Any) -> None:
    snippet = "# helpers.py\ndef double(x):\n    return 2 * x\n"
    prefix = "def quadruple(y):\n    return "
    suffix = "\n"
    text = "<fim_prefix>" + snippet + prefix + "<fim_suffix>" + suffix + "<fim_middle>"
    a = len("<fim_prefix>")
    segments = (Segment("marker", 0, a), Segment("snippet", a, a + len(snippet), path="helpers.py", end_line=2),
                Segment("prefix", a + len(snippet), a + len(snippet) + len(prefix)),
                Segment("suffix", text.index("<fim_suffix>") + 12, text.index("<fim_middle>")))
    generated = "double(double(y))"
    twin = eager_twin(tiny_llama)
    view = why_view(twin, tiny_tokenizer, text, segments, generated)

    p_ids = [t.id for t in tokenize(tiny_tokenizer, text).tokens]
    g_ids = [t.id for t in tokenize(tiny_tokenizer, generated).tokens]
    with torch.inference_mode():
        out = tiny_llama(input_ids=torch.tensor([p_ids + g_ids]))
    probs = torch.softmax(out.logits[0], -1)
    for i, tok in enumerate(view["generated"]["tokens"]):
        assert tok["probability"] == pytest.approx(float(probs[len(p_ids) + i - 1, g_ids[i]]), abs=1e-5)
        # each generated token's attention splits over the segments, the unsegmented markers and itself
        assert sum(tok["segmentMass"]) + tok["generatedMass"] == pytest.approx(1.0, abs=1e-3)
    assert [s["kind"] for s in view["segments"]] == ["marker", "snippet", "prefix", "suffix"]
    assert view["segments"][1]["path"] == "helpers.py"
    total = sum(s["mass"] for s in view["segments"]) + view["unsegmentedMass"] + view["generatedSelfMass"]
    assert total == pytest.approx(1.0, abs=1e-3)
    assert sum(s["tokens"] for s in view["segments"]) <= len(p_ids)
