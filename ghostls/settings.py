"""One typed, frozen settings object for the whole server.

Settings arrive as JSON (``initializationOptions``, ``workspace/didChangeConfiguration``,
``workspace/configuration``) with camelCase keys.  :func:`parse_settings` turns such a
mapping into a :class:`Settings` and a list of human-readable problems; every invalid value
is replaced by its default so the server keeps running.  :func:`settings_schema` describes
every setting (type, default, description) so editor clients can mirror them one to one.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def _opt(default: Any, description: str, **schema: Any) -> Any:
    if isinstance(default, (list, tuple)):
        value = tuple(default)
        return field(default_factory=lambda: value, metadata={"description": description, **schema})
    return field(default=default, metadata={"description": description, **schema})


@dataclass(frozen=True)
class InlineSettings:
    enable: bool = _opt(True, "Offer inline (ghost text) completions.")
    debounce_ms: int = _opt(
        75, "Wait this long after the last keystroke before generating (automatic triggers only).",
        minimum=0, maximum=2000)
    adaptive_debounce: bool = _opt(
        True, "While you type fast, wait for a real pause: the debounce grows to twice your recent typing "
        "interval (at most 4x inline.debounceMs), so a burst of keystrokes starts no generation.")
    max_lines: int = _opt(8, "Most lines in a multi-line (block) suggestion.", minimum=1, maximum=200)
    disabled_languages: tuple[str, ...] = _opt(
        (), "LSP language ids (e.g. 'markdown') for which no suggestions are made.")
    candidates: int = _opt(
        1, "How many distinct suggestions to return when completion is invoked explicitly.",
        minimum=1, maximum=8)
    rerank: int = _opt(
        3, "For models without fill-in-the-middle (e.g. the embedded SmolLM2): generate this many greedy "
        "alternatives where there is code below the cursor and suggest the one that leads into that code "
        "best (the model scores each alternative followed by the next lines). 0 or 1 turns it off. The "
        "local engine decodes the alternatives as one batch.", minimum=0, maximum=8)
    rerank_while_typing: str = _opt(
        "gpu", "Rerank automatic (while-typing) requests too: 'gpu' only when the local model runs on a GPU "
        "(on a CPU the alternatives and their scoring cost about 2-3x the time of one suggestion), 'always', "
        "or 'never'. Invoked requests are always reranked when inline.rerank is 2 or more.",
        enum=["gpu", "always", "never"])
    syntax_check: bool = _opt(
        True, "Drop (or shorten) suggestions that add syntax errors the code did not have (tree-sitter).")
    cache_size: int = _opt(
        128, "Recent model outputs kept, keyed by prompt, to answer repeated requests without the model.",
        minimum=0, maximum=10000)


@dataclass(frozen=True)
class AwsSettings:
    region: str = _opt("", "AWS region; empty uses the standard chain (AWS_REGION, profile).")
    profile: str = _opt("", "Named AWS profile; empty uses the default credential chain.")
    endpoint_url: str = _opt("", "Override the service endpoint URL (VPC endpoints, testing).")
    model_id: str = _opt(
        "", "Bedrock model id or inference profile id, e.g. 'us.anthropic.claude-3-5-haiku-20241022-v1:0'.")
    endpoint_name: str = _opt("", "SageMaker endpoint name (provider 'sagemaker').")
    connect_timeout_s: float = _opt(5.0, "Seconds to wait for a connection.", minimum=0.1, maximum=120)
    read_timeout_s: float = _opt(30.0, "Seconds to wait for data from the service.", minimum=0.1, maximum=600)
    max_retries: int = _opt(3, "Retries on throttling and 5xx errors (jittered backoff).", minimum=0, maximum=10)
    retry_base_delay_s: float = _opt(
        0.25, "First retry waits up to this long; each further retry doubles it (full jitter, at most 4 s).",
        minimum=0.0, maximum=10)
    streaming: bool = _opt(
        True, "Use the streaming APIs (ConverseStream, InvokeEndpointWithResponseStream); turn off for models "
        "or endpoints that cannot stream (Converse, InvokeEndpoint are used instead).")


@dataclass(frozen=True)
class PrivacySettings:
    exclude: tuple[str, ...] = _opt(
        (".env", ".env.*", "*.pem", "id_rsa*", "*.key", "*.p12", "*.pfx", ".npmrc", ".netrc"),
        "Glob patterns of files that are never sent to a remote provider, not even as context.")
    redact_secrets: bool = _opt(True, "Redact likely secrets (keys, tokens) from prompts sent to a remote provider.")


@dataclass(frozen=True)
class IndexSettings:
    enable: bool = _opt(True, "Index the workspace with tree-sitter for cross-file context.")
    max_file_kb: int = _opt(1024, "Files larger than this (KiB) are not indexed.", minimum=1, maximum=1_000_000)
    exclude: tuple[str, ...] = _opt((), "Extra gitignore-style patterns to leave out of the index.")
    cache_dir: str = _opt("", "Where the index cache lives; empty uses the user's cache directory.")
    workers: int = _opt(0, "Processes that parse files during a full index build; 0 uses every core.",
                        minimum=0, maximum=64)


@dataclass(frozen=True)
class EngineSettings:
    kv_cache_mb: int = _opt(512, "Memory for cached key/value prefixes of recent prompts (MiB); 0 disables reuse.",
                            minimum=0, maximum=65536)
    prompt_lookup: int = _opt(
        8, "Prompt-lookup decoding: verify up to this many tokens copied from the prompt per step (greedy "
        "only; same output, fewer model calls on repetitive code); 0 turns it off.", minimum=0, maximum=64)
    compile: bool = _opt(
        False, "On CUDA: a static key/value cache and a torch.compile'd (CUDA graph) decode step. Slower "
        "first requests while it compiles; ignored on CPU and MPS.")
    threads: int = _opt(
        0, "CPU threads for the local model (0: torch's default, one per core). On a busy machine 1 or 2 "
        "can be several times faster than oversubscribed cores.", minimum=0, maximum=256)


@dataclass(frozen=True)
class ViewSettings:
    attention_max_tokens: int = _opt(1024, "Longest selection (in tokens) the attention view will run on.",
                                     minimum=8, maximum=8192)
    attention_top_k: int = _opt(5, "Keys listed per query token in the attention view.", minimum=1, maximum=64)
    attention_matrix_max: int = _opt(
        512, "Most query rows and key columns of the attention matrix sent to the editor; longer inputs are "
        "pooled into this many bins.", minimum=16, maximum=4096)


@dataclass(frozen=True)
class ContextSettings:
    enable: bool = _opt(True, "Add cross-file context (definitions, similar code, recent edits) to prompts.")
    context_share: float = _opt(
        0.5, "Most of the prompt budget (after the output reserve) that cross-file context may take "
        "(the completion pipeline offers at most half).", minimum=0.0, maximum=0.5)
    suffix_share: float = _opt(
        0.25, "Share of the rest (prefix and suffix) that the text after the cursor may take.",
        minimum=0.0, maximum=0.9)
    window_lines: int = _opt(10, "Lines in one window of similar code.", minimum=2, maximum=100)
    max_snippet_lines: int = _opt(
        30, "Longest definition body shown whole; longer ones show signature and docstring.",
        minimum=1, maximum=400)
    scopes: bool = _opt(True, "Source 'scope': the file's imports and enclosing functions/classes.")
    definitions: bool = _opt(True, "Source 'definition': definitions of names used near the cursor.")
    similar: bool = _opt(True, "Source 'similar': similar code windows (BM25 over the workspace).")
    similar_open: bool = _opt(True, "Source 'similar-open': similar windows of open files (Jaccard).")
    recent_edits: bool = _opt(True, "Source 'recent-edit': recently edited ranges in other files.")
    scopes_deadline_ms: int = _opt(20, "Deadline of the 'scope' source; a late source is dropped.",
                                   minimum=1, maximum=5000)
    definitions_deadline_ms: int = _opt(30, "Deadline of the 'definition' source.", minimum=1, maximum=5000)
    similar_deadline_ms: int = _opt(30, "Deadline of the 'similar' source.", minimum=1, maximum=5000)
    similar_open_deadline_ms: int = _opt(20, "Deadline of the 'similar-open' source.", minimum=1, maximum=5000)
    recent_edits_deadline_ms: int = _opt(10, "Deadline of the 'recent-edit' source.", minimum=1, maximum=5000)


@dataclass(frozen=True)
class FinetuneSettings:
    adapter: str = _opt(
        "", "LoRA adapter folder made by `ghostls finetune` to apply to the local model; empty for none. "
        "Switching it takes effect without a restart.")
    budget_minutes: float = _opt(10.0, "`ghostls finetune`: most minutes of training.", minimum=0.1, maximum=1440)
    max_tokens: int = _opt(0, "`ghostls finetune`: most training tokens; 0 leaves only the time budget.",
                           minimum=0, maximum=1_000_000_000)
    held_out: float = _opt(0.2, "`ghostls finetune`: share of the workspace's bytes (whole files) kept out of "
                           "training to measure on.", minimum=0.05, maximum=0.5)
    lora_rank: int = _opt(16, "`ghostls finetune`: rank of the LoRA adapters.", minimum=1, maximum=256)
    learning_rate: float = _opt(1e-3, "`ghostls finetune`: peak learning rate.", minimum=1e-6, maximum=1e-1)


@dataclass(frozen=True)
class Settings:
    provider: str = _opt("local", "Where suggestions come from.", enum=["local", "bedrock", "sagemaker"])
    model: str = _opt(
        "", "Local model: empty for the embedded SmolLM2-135M, a model directory, a .gguf file, "
        "or a hub id (only where a hub is reachable).")
    model_profile: str = _opt(
        "auto", "Prompt layout of the model family ('auto' detects it from the tokenizer).")
    device: str = _opt("auto", "Device for the local model ('auto': cuda, then mps, then cpu).",
                       enum=["auto", "cpu", "cuda", "mps"])
    dtype: str = _opt("auto", "Weights dtype for the local model ('auto': bfloat16 on GPU, float32 on CPU).",
                      enum=["auto", "float32", "bfloat16", "float16"])
    max_new_tokens: int = _opt(64, "Most tokens generated for one suggestion.", minimum=1, maximum=2048)
    context_size: int = _opt(
        2048, "Most prompt tokens (prefix, suffix and context together), counted by the model's tokenizer.",
        minimum=64, maximum=131072)
    temperature: float = _opt(0.0, "Sampling temperature; 0 is greedy.", minimum=0.0, maximum=2.0)
    log_level: str = _opt("info", "Server log level.", enum=["debug", "info", "warning", "error"])
    inline: InlineSettings = field(default_factory=InlineSettings)
    aws: AwsSettings = field(default_factory=AwsSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    index: IndexSettings = field(default_factory=IndexSettings)
    engine: EngineSettings = field(default_factory=EngineSettings)
    views: ViewSettings = field(default_factory=ViewSettings)
    context: ContextSettings = field(default_factory=ContextSettings)
    finetune: FinetuneSettings = field(default_factory=FinetuneSettings)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _is_section(tp: Any) -> bool:
    return dataclasses.is_dataclass(tp)


def _check_value(path: str, value: Any, tp: Any, meta: Mapping[str, Any]) -> Any:
    """Return the value converted to ``tp``; raise ValueError with a clear message otherwise."""
    origin = typing.get_origin(tp)
    if tp is bool:
        if not isinstance(value, bool):
            raise ValueError(f"'{path}' must be true or false, not {value!r}")
    elif tp is int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
            raise ValueError(f"'{path}' must be a whole number, not {value!r}")
        value = int(value)
    elif tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"'{path}' must be a number, not {value!r}")
        value = float(value)
    elif tp is str:
        if not isinstance(value, str):
            raise ValueError(f"'{path}' must be a string, not {value!r}")
    elif origin is tuple:
        if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(
                isinstance(v, str) for v in value):
            raise ValueError(f"'{path}' must be a list of strings, not {value!r}")
        value = tuple(value)
    if "enum" in meta and value not in meta["enum"]:
        choices = ", ".join(repr(c) for c in meta["enum"])
        raise ValueError(f"'{path}' must be one of {choices}, not {value!r}")
    if "minimum" in meta and value < meta["minimum"]:
        raise ValueError(f"'{path}' must be at least {meta['minimum']}, not {value!r}")
    if "maximum" in meta and value > meta["maximum"]:
        raise ValueError(f"'{path}' must be at most {meta['maximum']}, not {value!r}")
    return value


def _parse_section(cls: type, raw: Any, prefix: str, problems: list[str]) -> Any:
    if raw is None:
        return cls()
    if not isinstance(raw, Mapping):
        problems.append(f"'{prefix.rstrip('.') or 'settings'}' must be an object, not {raw!r}; using defaults")
        return cls()
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name = snake(str(key))
        path = f"{prefix}{camel(name)}"
        if name not in fields:
            problems.append(f"unknown setting '{prefix}{key}' ignored")
            continue
        tp = hints[name]
        if _is_section(tp):
            values[name] = _parse_section(tp, value, path + ".", problems)
            continue
        if value is None:
            continue
        try:
            values[name] = _check_value(path, value, tp, fields[name].metadata)
        except ValueError as exc:
            default = fields[name].default
            if default is dataclasses.MISSING:
                default = fields[name].default_factory()  # type: ignore[misc]
            problems.append(f"{exc}; using the default {_json_default(default)!r}")
    return cls(**values)


def parse_settings(raw: Any) -> tuple[Settings, list[str]]:
    """Build settings from client JSON.  Returns the settings and the problems found."""
    problems: list[str] = []
    if isinstance(raw, Mapping) and isinstance(raw.get("ghostls"), Mapping):
        raw = raw["ghostls"]
    settings = _parse_section(Settings, raw, "", problems)
    return settings, problems


def _json_default(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _json_type(tp: Any) -> str:
    if tp is bool:
        return "boolean"
    if tp is int:
        return "integer"
    if tp is float:
        return "number"
    if typing.get_origin(tp) is tuple:
        return "array"
    return "string"


def settings_schema(cls: type = Settings, prefix: str = "ghostls.") -> dict[str, dict[str, Any]]:
    """Every setting as ``{"ghostls.inline.maxLines": {"type", "default", "description", ...}}``."""
    schema: dict[str, dict[str, Any]] = {}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key = prefix + camel(f.name)
        tp = hints[f.name]
        if _is_section(tp):
            schema.update(settings_schema(tp, key + "."))
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        entry: dict[str, Any] = {"type": _json_type(tp), "default": _json_default(default),
                                 "description": f.metadata.get("description", "")}
        if entry["type"] == "array":
            entry["items"] = {"type": "string"}
        for extra in ("enum", "minimum", "maximum"):
            if extra in f.metadata:
                entry[extra] = f.metadata[extra]
        schema[key] = entry
    return schema


def to_json(settings: Any) -> dict[str, Any]:
    """Settings back to camelCase JSON (for status reports and round trips)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        out[camel(f.name)] = to_json(value) if dataclasses.is_dataclass(value) else _json_default(value)
    return out
