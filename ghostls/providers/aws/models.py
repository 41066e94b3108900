"""Bedrock model families and what each accepts through the Converse API.

Every per-family difference (system prompt support, how many stop sequences, context size)
is a row here; the provider code reads the row and never tests model names itself.  Sources:
the Bedrock user guide's "Supported models and model features" table and each family's
inference-parameter page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Cross-region inference profiles prefix the model id with a geography ("us.anthropic...").
_GEO_PREFIX = re.compile(r"^(?:us|eu|apac|us-gov|ca|jp|au|global)\.")


@dataclass(frozen=True)
class ChatModelProfile:
    name: str
    prefixes: tuple[str, ...]  # base model ids start with one of these
    system_prompt: bool = True  # accepts Converse ``system``; else it is folded into the first user turn
    max_stop_sequences: int = 4  # 0: the family rejects ``stopSequences``
    context_window: int = 32_000
    max_output_tokens: int = 4096
    temperature: bool = True  # accepts ``temperature`` in inferenceConfig


CHAT_PROFILES: tuple[ChatModelProfile, ...] = (
    ChatModelProfile("anthropic-claude", ("anthropic.claude",), max_stop_sequences=8,
                     context_window=200_000, max_output_tokens=8192),
    ChatModelProfile("amazon-nova", ("amazon.nova",), max_stop_sequences=4, context_window=300_000,
                     max_output_tokens=5000),
    ChatModelProfile("amazon-titan", ("amazon.titan",), system_prompt=False, max_stop_sequences=0,
                     context_window=8_000, max_output_tokens=3072),
    ChatModelProfile("meta-llama", ("meta.llama",), max_stop_sequences=0, context_window=128_000,
                     max_output_tokens=2048),
    ChatModelProfile("mistral-large", ("mistral.mistral-large", "mistral.pixtral"), max_stop_sequences=10,
                     context_window=128_000, max_output_tokens=8192),
    ChatModelProfile("mistral-instruct", ("mistral.",), system_prompt=False, max_stop_sequences=10,
                     context_window=32_000, max_output_tokens=8192),
    ChatModelProfile("cohere-command-r", ("cohere.command-r",), max_stop_sequences=4,
                     context_window=128_000, max_output_tokens=4000),
    ChatModelProfile("ai21-jamba", ("ai21.jamba",), max_stop_sequences=4, context_window=256_000),
    ChatModelProfile("deepseek", ("deepseek.",), max_stop_sequences=4, context_window=128_000,
                     max_output_tokens=8192),
    ChatModelProfile("qwen", ("qwen.",), max_stop_sequences=4, context_window=128_000),
    ChatModelProfile("openai-gpt-oss", ("openai.",), max_stop_sequences=4, context_window=128_000),
)

# A model we do not know: the conservative common subset of Converse.
GENERIC = ChatModelProfile("generic", (), system_prompt=True, max_stop_sequences=4, context_window=32_000)


def base_model_id(model_id: str) -> str:
    """The foundation model id behind ``model_id`` (cross-region prefix and ARN removed)."""
    model = model_id.strip()
    if model.startswith("arn:"):
        model = model.rsplit("/", 1)[-1]
    return _GEO_PREFIX.sub("", model)


def chat_profile(model_id: str) -> ChatModelProfile:
    """The profile of the family ``model_id`` belongs to (first, most specific, match wins)."""
    base = base_model_id(model_id)
    for profile in CHAT_PROFILES:
        if base.startswith(profile.prefixes):
            return profile
    return GENERIC


# SageMaker endpoints have no vocabulary we can read: guess the FIM profile from the
# endpoint name as JumpStart names it, unless ``ghostls.modelProfile`` names one.
ENDPOINT_NAME_HINTS: tuple[tuple[str, str], ...] = (
    ("qwen2-5-coder", "qwen2.5-coder"), ("qwen25-coder", "qwen2.5-coder"), ("qwen2.5-coder", "qwen2.5-coder"),
    ("codegemma", "codegemma"), ("starcoder2", "starcoder2"), ("starcoder", "starcoder"),
    ("santacoder", "santacoder"), ("deepseek-coder", "deepseek-coder"), ("codellama", "codellama"),
    ("code-llama", "codellama"), ("codestral", "codestral"),
)

# Text-generation containers (TGI, LMI) accept at most this many stop sequences by default.
CONTAINER_MAX_STOP = 4
