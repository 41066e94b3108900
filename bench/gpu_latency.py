"""Engine latency on a GPU with the Qwen2.5-Coder-1.5B architecture (random weights, bf16).

    .venv/bin/python bench/gpu_latency.py                 # on a CUDA machine: 512/2048/4096 tokens
    .venv/bin/python bench/gpu_latency.py --compile       # static cache + torch.compile decode step
    .venv/bin/python bench/gpu_latency.py --tiny          # same code, a 2-layer model on CPU (smoke run)

No hub is needed: the model is built from the architecture's config (28 layers, hidden 1536,
12 heads, 2 KV heads, intermediate 8960, vocab 151,936) with random weights, which is all that
timing needs.  It runs the engine's own paths (``LocalProvider._prefill`` with its prefix cache,
``LocalProvider._forward``), with a device sync per token as the real decoding loop has:

* TTFT cold: prefill of the whole prompt, first token chosen (argmax, read back to the host);
* TTFT cached: the prompt after a one-character edit at its end (token healing regenerates the
  last token, so the edited prompt shares all but its last token, plus one new token);
* decode: per-token time of single-token steps after the prompt.

Prints p50/p95 over ``--reps`` and the cold/cached ratio measured in the same run; says which
device gave the numbers.  Not a test.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

QWEN25_CODER_15B = dict(
    vocab_size=151936, hidden_size=1536, intermediate_size=8960, num_hidden_layers=28,
    num_attention_heads=12, num_key_value_heads=2, max_position_embeddings=32768, rope_theta=1000000.0,
    rms_norm_eps=1e-6, tie_word_embeddings=True, use_sliding_window=False, hidden_act="silu",
)
TINY = dict(QWEN25_CODER_15B, vocab_size=4096, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def fmt(values: list[float]) -> str:
    return f"p50 {pct(values, 0.5) * 1000:8.2f} ms  p95 {pct(values, 0.95) * 1000:8.2f} ms"


def build(tiny: bool, device: str, dtype):
    import torch
    from transformers import AutoModelForCausalLM, Qwen2Config

    config = Qwen2Config(**(TINY if tiny else QWEN25_CODER_15B))
    torch.manual_seed(0)
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=dtype, attn_implementation="sdpa")
    return model.eval()


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiny", action="store_true", help="a 2-layer model of the same family, on CPU")
    parser.add_argument("--sizes", default="", help="prompt sizes (default 512,2048,4096; tiny: 64,256,512)")
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--decode-tokens", type=int, default=64)
    parser.add_argument("--compile", action="store_true", help="static cache + torch.compile'd decode step")
    parser.add_argument("--device", default="", help="default: cuda when available, else cpu")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    import torch

    from ghostls.providers.local import LocalProvider
    from ghostls.providers.local.decoding import StepStats

    device = args.device or ("cuda" if torch.cuda.is_available() and not args.tiny else "cpu")
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    sizes = [int(s) for s in (args.sizes or ("64,256,512" if args.tiny else "512,2048,4096")).split(",")]
    name = (torch.cuda.get_device_name() if device == "cuda" else "cpu")
    started = time.perf_counter()
    model = build(args.tiny, device, dtype)
    build_s = time.perf_counter() - started

    def sync() -> None:
        if device == "cuda":
            torch.cuda.synchronize()

    provider = LocalProvider(device=device, context_size=max(sizes) + 64, kv_cache_mb=8192,
                             compile=args.compile, static_cache=args.compile)
    provider.model, provider.device, provider.dtype = model, device, dtype
    provider._setup_engine()  # the engine's cache store (and compiled decode step) for this model
    params = sum(p.numel() for p in model.parameters())
    print(f"device {name}, {'tiny ' if args.tiny else ''}Qwen2.5-Coder-1.5B architecture, {params / 1e9:.2f}B "
          f"params, {str(dtype).replace('torch.', '')}, built in {build_s:.1f}s, attention "
          f"{model.config._attn_implementation}, compile {provider.compiled}, static cache {args.compile}")
    vocab = model.config.vocab_size
    gen = torch.Generator().manual_seed(1)
    results: dict = {"device": name, "compile": args.compile, "sizes": {}}

    def first_token(ids: list[int]) -> tuple[float, object, int]:
        stats = StepStats()
        sync()
        t0 = time.perf_counter()
        with torch.inference_mode():
            logits, cache = provider._prefill(ids, stats)
            int(torch.argmax(logits))  # reads back to the host, as the decoding loop does
        return time.perf_counter() - t0, cache, stats.reused_tokens

    def decode(cache: object, token: int, steps: int) -> list[float]:
        times = []
        with torch.inference_mode():
            for _ in range(steps):
                t0 = time.perf_counter()
                logits, cache = provider._forward([token], cache)
                token = int(torch.argmax(logits[-1]))
                times.append(time.perf_counter() - t0)
        return times

    for size in sizes:
        prompt = torch.randint(0, vocab, (size + 1,), generator=gen).tolist()
        base, edited = prompt[:size], prompt[:size - 1] + [(prompt[size - 1] + 7) % vocab, prompt[size]]
        for _ in range(2):  # warm-up: kernels, allocator, compilation
            provider.prefix_cache.clear()
            _, cache, _ = first_token(base)
            provider.prefix_cache.put(base, cache)
            first_token(edited)
            provider.prefix_cache.clear()
            _, cache, _ = first_token(base)
            decode(cache, 0, 8)
        cold, cached, steps, reused = [], [], [], []
        for _ in range(args.reps):
            provider.prefix_cache.clear()
            elapsed, cache, _ = first_token(base)
            cold.append(elapsed)
            provider.prefix_cache.put(base, cache)
            elapsed, cache, hit = first_token(edited)
            cached.append(elapsed)
            reused.append(hit)
        provider.prefix_cache.clear()
        _, cache, _ = first_token(base)
        steps = decode(cache, 0, args.decode_tokens)
        ratio = pct(cold, 0.5) / pct(cached, 0.5)
        print(f"\n{size} tokens")
        print(f"  TTFT cold           {fmt(cold)}")
        print(f"  TTFT one-char edit  {fmt(cached)}   (reused {min(reused)} of {len(edited)} tokens)")
        print(f"  ratio cold/edit     {ratio:6.1f}x")
        print(f"  decode per token    {fmt(steps)}")
        results["sizes"][size] = {"ttft_cold": cold, "ttft_edit": cached, "ratio": ratio, "decode": steps}
    if device == "cuda":
        peak = torch.cuda.max_memory_allocated()
        print(f"\npeak GPU memory {peak / 2**30:.2f} GiB")
        results["peak_bytes"] = peak
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
