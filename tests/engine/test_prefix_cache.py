"""Prefix key/value reuse gives exactly the tokens a cache-less run gives, and stays in its bound."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghostls.providers.local import LocalProvider
from ghostls.providers.local.kv_cache import PrefixCache
from tests.engine.conftest import SOURCE, generate

BASE = SOURCE[:1000]
# What a user does: type at the end, keep typing, jump elsewhere, come back.
EDITS = [BASE, BASE + "x", BASE + "xy", BASE + "xy(", SOURCE[:700], BASE + "xy(", BASE]


def test_reuse_returns_the_cacheless_tokens(cacheless: LocalProvider, cached: LocalProvider) -> None:
    reused = []
    for text in EDITS:
        assert generate(cached, text) == generate(cacheless, text)
        assert cacheless.last_stats.reused_tokens == 0
        reused.append((cached.last_stats.reused_tokens, cached.last_stats.prompt_tokens))
    assert reused[0][0] == 0  # nothing cached yet
    # One more character at the end: all but the last token or two come from the cache.
    for done, total in reused[1:4]:
        assert total - 3 <= done < total
    # Jumping back to a prompt seen before reuses it, although another prompt came in between.
    assert reused[5][0] >= reused[3][1] - 3


@pytest.mark.parametrize("options", [{"prompt_lookup": 8, "kv_cache_mb": 0}, {"static_cache": True}],
                         ids=["prompt-lookup", "static-cache"])
def test_fast_paths_return_the_plain_greedy_tokens(tiny_model_dir: Path, cacheless: LocalProvider,
                                                   options: dict) -> None:
    provider = LocalProvider(model=str(tiny_model_dir), **options)
    provider.load()
    for text in EDITS[:4]:
        assert generate(provider, text, 24) == generate(cacheless, text, 24)
    if "prompt_lookup" in options:
        # The random model repeats itself: drafts copied from the context get accepted.
        assert provider.last_stats.accepted_tokens > 0
        assert provider.last_stats.forward_passes < provider.last_stats.generated_tokens
    else:
        assert provider.last_stats.reused_tokens > 0


def test_lru_eviction_keeps_the_bound(cached: LocalProvider, cacheless: LocalProvider) -> None:
    texts = [SOURCE[i * 2000:i * 2000 + 1200] for i in range(4)]
    generate(cached, texts[0])
    per_entry = cached.prefix_cache.snapshot()["bytes"]
    assert per_entry > 0
    limit = int(per_entry * 2.5)  # room for two prompts of this size
    cached.prefix_cache.resize(limit)
    for text in texts[1:]:
        generate(cached, text)
        assert cached.prefix_cache.snapshot()["bytes"] <= limit
    snap = cached.prefix_cache.snapshot()
    assert snap["entries"] < 4 and snap["evictions"] >= 1
    # The least recently used prompts are gone; the newest two still hit.
    assert generate(cached, texts[0] + "#") == generate(cacheless, texts[0] + "#")
    assert cached.last_stats.reused_tokens == 0
    assert generate(cached, texts[3] + "#") == generate(cacheless, texts[3] + "#")
    assert cached.last_stats.reused_tokens > 0


def test_zero_limit_disables_reuse(tiny_model_dir: Path) -> None:
    store = PrefixCache(0)
    assert store.take([1, 2, 3]).cache is None
    provider = LocalProvider(model=str(tiny_model_dir), kv_cache_mb=0, prompt_lookup=0)
    provider.load()
    generate(provider, BASE)
    generate(provider, BASE + "x")
    assert provider.last_stats.reused_tokens == 0
    assert provider.prefix_cache.snapshot()["entries"] == 0


def test_status_reports_device_dtype_memory_and_load_time(cached: LocalProvider) -> None:
    generate(cached, BASE)
    status = cached.status()
    assert status["loaded"] and status["device"] == "cpu" and status["dtype"] == "float32"
    assert status["memory"]["weightsBytes"] > 0
    assert status["memory"]["kvCacheBytes"] == status["engine"]["prefixCache"]["bytes"] > 0
    assert status["loadSeconds"] > 0
    assert {"tokenizer", "weights", "vocab", "warmup"} <= set(status["loadPhases"])
    assert status["engine"]["attention"] == "sdpa" and status["engine"]["threads"] >= 1
