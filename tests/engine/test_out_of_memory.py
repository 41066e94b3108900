"""Out of memory at load or generation: a clear ProviderError, and the provider keeps serving.

A real allocation failure, not a mock: a child process caps its own address space
(RLIMIT_AS) a few MiB above what it uses, then loads or generates, so torch's allocator fails
exactly as it does on a machine that runs out of memory.  (A GPU cap would use
``torch.cuda.set_per_process_memory_fraction``; no GPU here.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.tiny_model import build_tiny_model

CHILD = r"""
import json, os, resource, sys, threading
from ghostls.providers.base import GenerationParams, ProviderError, RenderedPrompt
from ghostls.providers.local import LocalProvider

def cap(margin_mib):
    used = int(open("/proc/self/statm").read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    resource.setrlimit(resource.RLIMIT_AS, (used + margin_mib * 2**20, resource.RLIM_INFINITY))

def uncap():
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

model_dir, prompt_file = sys.argv[1:3]
provider = LocalProvider(model=model_dir, kv_cache_mb=0)
report = {}
def attempt(fn):
    try:
        fn()
        return {"ok": True}
    except ProviderError as exc:
        return {"kind": exc.kind, "message": exc.message, "cause": type(exc.__cause__).__name__}
def generate(text):
    return "".join(provider.stream(RenderedPrompt(text=text), GenerationParams(max_new_tokens=4),
                                   threading.Event()))
import transformers.models.llama.modeling_llama  # imports are not what we measure
from transformers import AutoModelForCausalLM, AutoTokenizer
cap(2)
report["load"] = attempt(provider.load)
uncap()
report["retry"] = attempt(provider.load)
text = open(prompt_file).read() * 3  # ~8k tokens: activations of tens of MiB
cap(8)
report["generate"] = attempt(lambda: generate(text))
uncap()
report["after"] = generate("def main():\n")
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def wide_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wider than the usual tiny model, so that its weights and activations need megabytes."""
    return build_tiny_model(tmp_path_factory.mktemp("wide"), hidden=256, heads=4, kv_heads=4)


@pytest.fixture(scope="module")
def report(wide_model_dir: Path) -> dict:
    root = Path(__file__).resolve().parents[2]
    prompt = root / "ghostls" / "documents.py"
    result = subprocess.run([sys.executable, "-c", CHILD, str(wide_model_dir), str(prompt)],
                            capture_output=True, text=True, cwd=root, timeout=240)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_out_of_memory_at_load_is_a_clear_error(report: dict) -> None:
    failure = report["load"]
    assert failure.get("kind") == "oom", failure
    assert "Out of host memory loading" in failure["message"]
    assert "smaller model" in failure["message"]
    assert report["retry"] == {"ok": True}  # with memory back, the same provider loads


def test_out_of_memory_while_generating_is_a_clear_error(report: dict) -> None:
    failure = report["generate"]
    assert failure.get("kind") == "oom", failure
    assert failure["cause"] in {"RuntimeError", "MemoryError", "OutOfMemoryError"}
    assert "'ghostls.contextSize'" in failure["message"]
    assert isinstance(report["after"], str)  # the model still serves the next request
