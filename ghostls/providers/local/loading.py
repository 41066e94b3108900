"""Where a local model comes from, and on which device and dtype it runs."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ghostls.providers.base import ProviderError
from ghostls.providers.embedded import cache_root, convert_gguf, ensure_embedded_model, is_converted

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelSource:
    kind: str  # "embedded" | "directory" | "gguf" | "hub"
    location: str
    label: str


def resolve_source(model: str) -> ModelSource:
    """Interpret the ``model`` setting.  Raises ProviderError naming the setting on a bad value."""
    if not model.strip():
        return ModelSource("embedded", "", "SmolLM2-135M-Instruct (embedded)")
    expanded = Path(os.path.expandvars(model)).expanduser()
    if expanded.is_dir():
        if not (expanded / "config.json").is_file():
            raise ProviderError(
                f"'ghostls.model' points to {expanded}, which has no config.json: it is not a "
                "transformers model directory. Point it to a directory saved with save_pretrained, "
                "a .gguf file, or leave it empty for the embedded model.", kind="model-missing")
        return ModelSource("directory", str(expanded), expanded.name)
    if model.endswith(".gguf"):
        if not expanded.is_file():
            raise ProviderError(f"'ghostls.model' names the GGUF file {expanded}, which does not exist.",
                                kind="model-missing")
        return ModelSource("gguf", str(expanded), expanded.name)
    if model.startswith((".", "/", "~")) or model.count("/") != 1:
        raise ProviderError(
            f"'ghostls.model' is {model!r}: no such directory or .gguf file, and not a hub id "
            "('org/name'). Fix the setting, or leave it empty for the embedded model.", kind="model-missing")
    return ModelSource("hub", model, model)


def materialize(source: ModelSource) -> tuple[str, dict[str, Any]]:
    """A directory (or hub id) that ``from_pretrained`` can load, plus extra load arguments."""
    if source.kind == "embedded":
        return str(ensure_embedded_model()), {}
    if source.kind == "gguf":
        gguf = Path(source.location)
        stat = gguf.stat()
        digest = hashlib.sha256(f"{gguf.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
        out = cache_root() / "models" / f"{gguf.stem}-{digest}"
        if not is_converted(out):
            log.info("converting %s into %s (once)", gguf, out)
            try:
                convert_gguf(gguf, out)
            except Exception as exc:
                raise ProviderError(f"Could not read the GGUF file {gguf}: {exc}", kind="model-corrupt") from exc
        return str(out), {}
    if source.kind == "hub":
        return _hub_snapshot(source.location), {}
    return source.location, {}


def _hub_snapshot(repo_id: str) -> str:
    """The local copy of a hub model, downloading it when the hub can be reached.

    Without a reachable hub, transformers retries for over a minute before it fails; we look at
    the local hub cache first and test the connection with a short timeout instead.
    """
    import socket
    from urllib.parse import urlparse

    from huggingface_hub import snapshot_download

    patterns = ["*.json", "*.safetensors", "*.model", "*.txt", "*.jinja", "*.tiktoken"]
    try:
        return snapshot_download(repo_id, local_files_only=True, allow_patterns=patterns)
    except Exception:  # not (fully) in the local cache
        pass
    endpoint = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}
    reachable = False
    if not offline:
        try:
            with socket.create_connection((endpoint.hostname or "huggingface.co", endpoint.port or 443), timeout=3):
                reachable = True
        except OSError:
            pass
    if not reachable:
        raise ProviderError(
            f"'ghostls.model' is the hub id {repo_id!r}, which is not in the local hub cache, and "
            f"{endpoint.hostname} cannot be reached from here. Download the model on a connected machine "
            "(huggingface-cli download ...) and set 'ghostls.model' to its directory.", kind="model-missing")
    log.info("downloading %s from %s", repo_id, endpoint.hostname)
    try:
        return snapshot_download(repo_id, allow_patterns=patterns)
    except Exception as exc:
        raise ProviderError(f"Could not download {repo_id!r} ('ghostls.model'): {exc}",
                            kind="model-missing") from exc


def choose_device(requested: str) -> str:
    import torch

    if requested == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
        return "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise ProviderError("'ghostls.device' is 'cuda' but torch sees no CUDA GPU (is the CUDA build "
                            "of torch installed?). Use 'auto' or 'cpu'.", kind="device")
    if requested == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ProviderError("'ghostls.device' is 'mps' but this machine has no Metal GPU. "
                                "Use 'auto' or 'cpu'.", kind="device")
    return requested


def choose_dtype(requested: str, device: str) -> Any:
    import torch

    if requested == "auto":
        if device == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        if device == "mps":
            return torch.float16
        return torch.float32
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[requested]


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is an allocation failure (CUDA, MPS or host memory)."""
    import torch

    if isinstance(exc, (MemoryError, torch.cuda.OutOfMemoryError)):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and any(s in text for s in (
        "out of memory", "can't allocate memory", "cannot allocate memory", "failed to allocate"))


def tokenizer_digest(location: str, tokenizer: Any) -> str | None:
    """A key for what is derived from the tokenizer (its files' bytes); None when unknown."""
    path = Path(location) / "tokenizer.json"
    if not path.is_file():
        return None
    digest = hashlib.sha256(path.read_bytes())
    digest.update(f":{len(tokenizer)}:{sorted(tokenizer.all_special_ids or [])}".encode())
    return digest.hexdigest()[:20]


def load_vocab_index(location: str, tokenizer: Any) -> Any:
    """The token-healing index, read from the user's cache when this tokenizer was seen before.

    Building it decodes every token of the vocabulary (about a second for 49k tokens on a slow
    CPU); reading the pickled index takes a few milliseconds.
    """
    import pickle

    from ghostls.providers.local.decoding import VocabIndex

    key = tokenizer_digest(location, tokenizer)
    path = cache_root() / "vocab" / f"{key}.pkl" if key else None
    if path is not None and path.is_file():
        try:
            with open(path, "rb") as f:
                index = pickle.load(f)
            if isinstance(index, VocabIndex):
                return index
        except Exception as exc:  # a stale or truncated file: rebuild it
            log.info("ignoring the cached vocabulary index %s: %s", path, exc)
    index = VocabIndex(tokenizer)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as f:
                pickle.dump(index, f, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(path)
        except OSError as exc:
            log.info("could not cache the vocabulary index in %s: %s", path, exc)
    return index


def device_memory(device: str) -> dict[str, int]:
    """Bytes the accelerator has allocated now and at peak (empty on CPU)."""
    import torch

    if device == "cuda" and torch.cuda.is_available():
        return {"allocatedBytes": int(torch.cuda.memory_allocated()),
                "peakBytes": int(torch.cuda.max_memory_allocated()),
                "totalBytes": int(torch.cuda.get_device_properties(0).total_memory)}
    return {}
