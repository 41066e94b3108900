"""A SageMaker real-time endpoint serving a code model (JumpStart, TGI or LMI containers).

The prompt is the model's own fill-in-the-middle layout from :mod:`ghostls.providers.profiles`
(``ghostls.modelProfile``, or guessed from the endpoint name), sent as the text-generation
payload these containers accept: ``{"inputs": ..., "parameters": {...}}``.  Streamed replies
arrive as PayloadPart events whose bytes are server-sent events (TGI, ``data:{...}``) or JSON
lines (LMI); parts may split a line anywhere.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from ghostls.providers.aws.common import AwsProvider
from ghostls.providers.aws.models import CONTAINER_MAX_STOP, ENDPOINT_NAME_HINTS
from ghostls.providers.aws.textstream import cut_at_stops
from ghostls.providers.base import (
    ChatMessage,
    GenerationParams,
    PromptParts,
    ProviderError,
    RenderedPrompt,
    Segment,
)
from ghostls.providers.profiles import PROFILES, ModelProfile, detect_profile
from ghostls.settings import Settings

log = logging.getLogger(__name__)


def endpoint_profile(endpoint_name: str, requested: str) -> ModelProfile:
    """The profile the user named, else one guessed from the endpoint name, else prefix-only."""
    if requested and requested != "auto":
        try:
            return detect_profile((), requested)
        except KeyError as exc:
            raise ProviderError(f"'ghostls.modelProfile': {exc.args[0]}", kind="config") from exc
    lowered = endpoint_name.lower()
    for hint, profile in ENDPOINT_NAME_HINTS:
        if hint in lowered:
            return PROFILES[profile]
    return PROFILES["prefix-only"]


def payload_text(value: Any) -> str:
    """The generated text of a whole (non-streamed) reply, in the shapes the containers use."""
    if isinstance(value, list):
        return "".join(payload_text(v) for v in value[:1])
    if isinstance(value, dict):
        for key in ("generated_text", "generation", "text", "outputs"):
            if isinstance(value.get(key), str):
                return value[key]
        for key in ("generated_texts", "outputs", "generations"):
            if isinstance(value.get(key), list) and value[key]:
                return payload_text(value[key][0]) if not isinstance(value[key][0], str) else value[key][0]
    return ""


class LineDecoder:
    """Reassembles lines from payload parts and reads the token text out of each line."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[str]:
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        return [t for t in (self._token(line) for line in lines) if t]

    def flush(self) -> list[str]:
        line, self._buffer = self._buffer, b""
        text = self._token(line)
        return [text] if text else []

    @staticmethod
    def _token(line: bytes) -> str:
        line = line.strip()
        if line.startswith(b"data:"):
            line = line[5:].strip()
        if not line or line.startswith((b":", b"event:", b"id:", b"retry:")) or line == b"[DONE]":
            return ""
        try:
            value = json.loads(line)
        except ValueError:
            log.debug("ignored a stream line that is not JSON (%d bytes)", len(line))
            return ""
        if not isinstance(value, dict):
            return ""
        token = value.get("token")
        if isinstance(token, dict):
            return "" if token.get("special") else str(token.get("text") or "")
        choices = value.get("choices")  # OpenAI-style completions (vLLM, LMI's openai schema)
        if isinstance(choices, list) and choices and isinstance(choices[0], dict):
            return str(choices[0].get("text") or choices[0].get("delta", {}).get("content") or "")
        return ""


class SageMakerProvider(AwsProvider):
    name = "sagemaker"
    service = "SageMaker"
    client_name = "sagemaker-runtime"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.profile: ModelProfile = endpoint_profile(settings.aws.endpoint_name, settings.model_profile)

    @property
    def target(self) -> str:
        return self.aws.endpoint_name

    def check_settings(self) -> None:
        if not self.aws.endpoint_name.strip():
            raise ProviderError("'ghostls.aws.endpointName' is empty: set it to the name of your SageMaker "
                                "endpoint.", kind="config")

    # -- prompts --------------------------------------------------------------------------------
    def render(self, parts: PromptParts, budget: int | None = None) -> RenderedPrompt:
        cleaned = self.guard.clean_parts(parts)
        if cleaned is None:
            return RenderedPrompt(profile=self.profile.name,
                                  extra={"blocked": f"{parts.path} matches 'ghostls.privacy.exclude'"})
        text, segments = self.profile.layout(cleaned)
        counted = tuple(Segment(**{**vars(s), "tokens": self.counter.count(text[s.start:s.end])}) for s in segments)
        return RenderedPrompt(text=text, segments=counted, token_count=self.counter.count(text),
                              profile=self.profile.name)

    def render_chat(self, messages: list[ChatMessage]) -> RenderedPrompt:
        cleaned = self.guard.clean_messages(messages)
        text = "".join(f"{m.role.upper()}: {m.content}\n\n" for m in cleaned) + "ASSISTANT: "
        return RenderedPrompt(text=text, messages=tuple(cleaned), token_count=self.counter.count(text),
                              profile="plain-chat", extra={"chat": True})

    # -- requests -------------------------------------------------------------------------------
    def payload(self, prompt: RenderedPrompt, params: GenerationParams, stream: bool) -> dict[str, Any]:
        parameters: dict[str, Any] = {"max_new_tokens": params.max_new_tokens, "return_full_text": False,
                                      "do_sample": params.temperature > 0}
        if params.temperature > 0:  # TGI rejects temperature 0; greedy is do_sample=false
            parameters["temperature"] = params.temperature
        stops = list(dict.fromkeys(params.stop))[:CONTAINER_MAX_STOP]
        if stops:
            parameters["stop"] = stops
        body: dict[str, Any] = {"inputs": prompt.text, "parameters": parameters}
        if stream:
            body["stream"] = True
        return body

    def _invoke_args(self, prompt: RenderedPrompt, params: GenerationParams, stream: bool) -> dict[str, Any]:
        return {"EndpointName": self.aws.endpoint_name, "ContentType": "application/json",
                "Accept": "application/json",
                "Body": json.dumps(self.payload(prompt, params, stream)).encode("utf-8")}

    def start_stream(self, client: Any, prompt: RenderedPrompt, params: GenerationParams) -> Any:
        return client.invoke_endpoint_with_response_stream(**self._invoke_args(prompt, params, True))["Body"]

    def stream_state(self) -> LineDecoder:
        return LineDecoder()

    def event_text(self, event: dict[str, Any], state: LineDecoder) -> Iterable[str]:
        part = event.get("PayloadPart")
        if not part:
            return ()
        return state.feed(part.get("Bytes", b""))

    def finish_text(self, state: LineDecoder) -> Iterable[str]:
        return state.flush()

    def call_once(self, client: Any, prompt: RenderedPrompt, params: GenerationParams) -> str:
        response = client.invoke_endpoint(**self._invoke_args(prompt, params, False))
        raw = response["Body"].read()
        try:
            return payload_text(json.loads(raw))
        except ValueError:
            raise ProviderError(f"SageMaker endpoint '{self.target}' answered with something that is not JSON "
                                f"({len(raw)} bytes); it needs a text-generation container (TGI, LMI).",
                                kind="model-error") from None

    def stream(self, prompt: RenderedPrompt, params: GenerationParams,
               cancel: threading.Event) -> Iterator[str]:
        base = super().stream(prompt, params, cancel)
        chunks = cut_at_stops(base, params.stop)
        try:
            yield from chunks
        finally:
            chunks.close()
            base.close()
