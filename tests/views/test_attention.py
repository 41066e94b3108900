"""Attention summaries agree with values computed directly from the tiny model's own weights."""

from __future__ import annotations

import base64
import math
import zlib
from typing import Any

import numpy as np
import pytest
import torch

from ghostls.documents import Document
from ghostls.views import attention as A
from ghostls.views.eager import attention_modules, eager_twin, extra_bytes, weight_bytes
from ghostls.views.tokens import tokenize

SOURCE = ("import os\n\n\ndef read_config(path, default=None):\n    if not os.path.exists(path):\n"
          "        return default\n    with open(path) as handle:\n        return handle.read()\n")


@pytest.fixture(scope="module")
def run(tiny_llama: Any, tiny_tokenizer: Any) -> dict[str, Any]:
    twin = eager_twin(tiny_llama)
    tz = tokenize(tiny_tokenizer, SOURCE)
    ids = [t.id for t in tz.tokens]
    with torch.inference_mode():
        out = twin(input_ids=torch.tensor([ids]), output_attentions=True, use_cache=False)
    reference = np.stack([a[0].float().numpy() for a in out.attentions])  # layers x heads x n x n
    return {"twin": twin, "tz": tz, "ids": ids, "ref": reference}


def test_eager_twin_shares_weights_and_matches_sdpa(tiny_llama: Any, run: dict[str, Any]) -> None:
    twin = run["twin"]
    assert twin is not tiny_llama and twin.config._attn_implementation == "eager"
    assert tiny_llama.config._attn_implementation == "sdpa"  # the completion model is left alone
    assert eager_twin(tiny_llama) is twin  # cached
    assert extra_bytes(twin, tiny_llama) < weight_bytes(tiny_llama) // 20
    ids = torch.tensor([run["ids"]])
    with torch.inference_mode():
        torch.testing.assert_close(twin(input_ids=ids).logits, tiny_llama(input_ids=ids).logits, atol=1e-4, rtol=1e-4)
    assert len(attention_modules(twin)) == tiny_llama.config.num_hidden_layers


def test_mean_aggregation_rows_sum_to_one_and_match_reference(run: dict[str, Any]) -> None:
    n = len(run["ids"])
    result = A.run_attention(run["twin"], run["ids"], list(range(n)), A.AttentionOptions())
    ref = run["ref"]
    np.testing.assert_allclose(result.matrix.numpy(), ref.mean(axis=(0, 1)), atol=1e-5)
    np.testing.assert_allclose(result.matrix.sum(-1).numpy(), np.ones(n), atol=1e-5)
    assert np.allclose(np.triu(result.matrix.numpy(), 1), 0)  # causal


def test_max_over_chosen_layers_and_heads(run: dict[str, Any]) -> None:
    n = len(run["ids"])
    opts = A.AttentionOptions(layers=(1,), heads=(0, 2), aggregation="max")
    result = A.run_attention(run["twin"], run["ids"], list(range(n)), opts)
    np.testing.assert_allclose(result.matrix.numpy(), run["ref"][1][[0, 2]].max(axis=0), atol=1e-6)
    assert result.layers == [1] and result.heads == [0, 2]


def _reference_rollout(ref: np.ndarray) -> np.ndarray:
    """Abnar & Zuidema (2020), written out independently: per layer mean over heads, add the identity
    for the residual stream, renormalise rows, multiply from the first layer up."""
    n = ref.shape[-1]
    joint = np.eye(n)
    for layer in ref:
        a = layer.mean(axis=0)
        a = 0.5 * a + 0.5 * np.eye(n)
        a = a / a.sum(axis=-1, keepdims=True)
        joint = a @ joint
    return joint


def test_rollout_matches_reference(run: dict[str, Any]) -> None:
    n = len(run["ids"])
    result = A.run_attention(run["twin"], run["ids"], list(range(n)), A.AttentionOptions(aggregation="rollout"))
    np.testing.assert_allclose(result.matrix.numpy(), _reference_rollout(run["ref"]), atol=1e-5)
    np.testing.assert_allclose(result.matrix.sum(-1).numpy(), np.ones(n), atol=1e-5)


def test_head_statistics_match_reference(run: dict[str, Any]) -> None:
    n = len(run["ids"])
    queries = list(range(n // 2, n))
    result = A.run_attention(run["twin"], run["ids"], queries, A.AttentionOptions())
    ref = run["ref"]
    for s in result.head_stats:
        rows = ref[s.layer, s.head][queries]
        entropy = np.mean([A.entropy_of(r) for r in rows])
        sink = rows[:, 0].mean()
        distance = np.mean([sum(p * (q - k) for k, p in enumerate(r)) for q, r in zip(queries, rows, strict=False)])
        assert s.entropy == pytest.approx(entropy, abs=1e-4)
        assert s.sink_mass == pytest.approx(sink, abs=1e-5)
        assert s.mean_distance == pytest.approx(distance, abs=1e-3)
    assert len(result.head_stats) == ref.shape[0] * ref.shape[1]


def test_excluding_sinks_renormalises(run: dict[str, Any]) -> None:
    n = len(run["ids"])
    result = A.run_attention(run["twin"], run["ids"], list(range(n)), A.AttentionOptions(exclude_sinks=True))
    m = result.matrix.numpy()
    assert np.all(m[:, 0] == 0)
    np.testing.assert_allclose(m[1:].sum(-1), np.ones(n - 1), atol=1e-5)
    expected = run["ref"].mean(axis=(0, 1))[1:, 1:]
    np.testing.assert_allclose(m[1:, 1:], expected / expected.sum(-1, keepdims=True), atol=1e-5)


def _dequantize(matrix: dict[str, Any]) -> np.ndarray:
    raw = np.frombuffer(zlib.decompress(base64.b64decode(matrix["data"])), dtype=np.uint8)
    q = raw.reshape(matrix["rows"], matrix["cols"]).astype(np.float64)
    return q / 255 * np.array(matrix["rowScale"])[:, None]


def test_summary_payload_agrees_with_the_model(run: dict[str, Any]) -> None:
    tz = run["tz"]
    doc = Document("file:///c.py", SOURCE)
    n = len(run["ids"])
    queries = list(range(5, n))
    options = A.AttentionOptions(top_k=3)
    result = A.run_attention(run["twin"], run["ids"], queries, options)
    view = A.summarize(result, tz, base=0, locate=doc.position_at, selection_start=0, options=options)
    mean = run["ref"].mean(axis=(0, 1))
    dq = _dequantize(view["matrix"])
    assert dq.shape == (len(queries), n)
    np.testing.assert_allclose(dq, mean[queries], atol=mean.max() / 255 + 1e-6)
    np.testing.assert_allclose(dq.sum(-1), np.ones(len(queries)), atol=n / 255)
    for row in view["topKeys"]:
        expected = np.argsort(-mean[row["query"]], kind="stable")[:3]
        assert sorted(row["keys"]) == sorted(int(i) for i in expected)
    # per-line roll-up: the mass the queries give to the tokens starting on each line, summing to 1
    key_mass = mean[queries].mean(0)
    assert sum(x["mass"] for x in view["lines"]) == pytest.approx(1.0, abs=1e-3)
    line4 = [i for i, t in enumerate(tz.tokens) if doc.position_at(t.start)[0] == 4]
    assert next(x for x in view["lines"] if x["line"] == 4)["mass"] == pytest.approx(key_mass[line4].sum(), abs=1e-4)
    # identifiers: 'path' occurs four times (os.path too); its ranges point at the word
    path = next(i for i in view["identifiers"] if i["name"] == "path")
    assert path["count"] == SOURCE.count("path") == 4
    for r in path["ranges"]:
        a = doc.offset_at(r["start"]["line"], r["start"]["character"])
        assert SOURCE[a:a + 4] == "path"
    assert view["lineMassByHead"]["layers"] == result.layers
    assert len(view["lineMassByHead"]["values"][0]) == len(result.heads)
    assert [t["query"] for t in view["tokens"]].count(True) == len(queries)


def test_pooling_keeps_rows_normalised(run: dict[str, Any]) -> None:
    n = len(run["ids"])
    result = A.run_attention(run["twin"], run["ids"], list(range(n)), A.AttentionOptions())
    pooled = A.matrix_payload(result.matrix, list(range(n)), limit=16)
    assert pooled["rows"] == 16 and pooled["cols"] == 16
    assert pooled["colBins"][0][0] == 0 and pooled["colBins"][-1][1] == n
    np.testing.assert_allclose(_dequantize(pooled).sum(-1), np.ones(16), atol=16 / 255)


@pytest.mark.parametrize("options, message", [
    (A.AttentionOptions(layers=(7,)), "layer 7 does not exist"),
    (A.AttentionOptions(heads=(4,)), "head 4 does not exist"),
    (A.AttentionOptions(aggregation="median"), "aggregation must be one of"),
])
def test_bad_options_say_what_is_wrong(run: dict[str, Any], options: A.AttentionOptions, message: str) -> None:
    with pytest.raises(A.AttentionError, match=message):
        A.run_attention(run["twin"], run["ids"], [0], options)


def test_gpt2_attention_is_captured_too(tiny_gpt2: Any, tiny_tokenizer: Any) -> None:
    ids = [t.id for t in tokenize(tiny_tokenizer, SOURCE).tokens]
    twin = eager_twin(tiny_gpt2)
    result = A.run_attention(twin, ids, list(range(len(ids))), A.AttentionOptions())
    with torch.inference_mode():
        out = twin(input_ids=torch.tensor([ids]), output_attentions=True)
    ref = torch.stack([a[0] for a in out.attentions]).mean((0, 1))
    torch.testing.assert_close(result.matrix, ref, atol=1e-5, rtol=1e-4)
    assert math.isclose(float(result.matrix.sum(-1).mean()), 1.0, abs_tol=1e-5)
