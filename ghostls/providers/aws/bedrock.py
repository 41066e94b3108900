"""Amazon Bedrock through the Converse API (ConverseStream, Converse).

Bedrock's foundation models are chat models: a completion is an instruction to fill the hole
between the prefix and the suffix, answered with the missing code only.  What each model
family accepts (system prompt, stop sequences, context size) comes from
:mod:`ghostls.providers.aws.models`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from ghostls.providers.aws.common import AwsProvider
from ghostls.providers.aws.models import ChatModelProfile, chat_profile
from ghostls.providers.aws.textstream import HOLE, clean_chat_output, cut_at_stops
from ghostls.providers.base import (
    ChatMessage,
    GenerationParams,
    PromptParts,
    ProviderError,
    RenderedPrompt,
    Segment,
)
from ghostls.settings import Settings

log = logging.getLogger(__name__)

FILL_SYSTEM = (
    "You are a code completion engine inside a code editor. The user shows a file with the marker "
    f"{HOLE} where the cursor is. Reply with exactly the text that belongs at the marker and nothing else: "
    "no explanation, no Markdown code fences, and never repeat code that is already before or after the "
    "marker. Match the file's indentation and style. If nothing is missing, reply with an empty message.")


def fill_prompt(parts: PromptParts) -> tuple[str, tuple[Segment, ...]]:
    """The user message of a fill-in-the-middle request, with segments for the prompt view."""
    pieces: list[tuple[str, str, Any]] = []
    if parts.snippets:
        pieces.append(("instruction", "Code from other files of this project, for reference:\n\n", None))
        for snip in parts.snippets:
            where = f"{snip.path or 'context'} (lines {snip.start_line + 1}-{snip.end_line + 1})"
            pieces.append(("marker", f"--- {where} ---\n", None))
            pieces.append(("snippet", snip.text.rstrip("\n") + "\n\n", snip))
    name = parts.path.rsplit("/", 1)[-1] if parts.path else "the file"
    language = f" ({parts.language})" if parts.language else ""
    pieces.append(("instruction", f"Fill in {HOLE} in {name}{language}:\n\n", None))
    pieces += [("prefix", parts.prefix, None), ("marker", HOLE, None), ("suffix", parts.suffix, None)]
    text, segments, pos = "", [], 0
    for kind, piece, snip in pieces:
        if not piece:
            continue
        extra = {} if snip is None else {"path": snip.path, "start_line": snip.start_line,
                                         "end_line": snip.end_line, "score": snip.score, "source": snip.source}
        segments.append(Segment(kind=kind, start=pos, end=pos + len(piece), **extra))
        text += piece
        pos += len(piece)
    return text, tuple(segments)


def converse_messages(messages: Iterable[ChatMessage]) -> list[dict[str, Any]]:
    """Converse wants turns that start with the user and alternate: merge neighbours of one role."""
    out: list[dict[str, Any]] = []
    for m in messages:
        if not m.content or m.role not in ("user", "assistant"):
            continue
        if out and out[-1]["role"] == m.role:
            out[-1]["content"][0]["text"] += "\n\n" + m.content
        else:
            out.append({"role": m.role, "content": [{"text": m.content}]})
    if out and out[0]["role"] != "user":
        out.insert(0, {"role": "user", "content": [{"text": "(continued conversation)"}]})
    return out


class BedrockProvider(AwsProvider):
    name = "bedrock"
    service = "Bedrock"
    client_name = "bedrock-runtime"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.model_profile: ChatModelProfile = chat_profile(settings.aws.model_id)

    @property
    def target(self) -> str:
        return self.aws.model_id

    def check_settings(self) -> None:
        if not self.aws.model_id.strip():
            raise ProviderError("'ghostls.aws.modelId' is empty: set it to a Bedrock model id or inference profile "
                                "id, e.g. 'us.anthropic.claude-3-5-haiku-20241022-v1:0'.", kind="config")

    @property
    def context_window(self) -> int:
        return min(self.settings.context_size, self.model_profile.context_window)

    # -- prompts --------------------------------------------------------------------------------
    def render(self, parts: PromptParts, budget: int | None = None) -> RenderedPrompt:
        cleaned = self.guard.clean_parts(parts)
        if cleaned is None:
            return RenderedPrompt(profile=self.model_profile.name,
                                  extra={"blocked": f"{parts.path} matches 'ghostls.privacy.exclude'"})
        text, segments = fill_prompt(cleaned)
        counted = tuple(Segment(**{**vars(s), "tokens": self.counter.count(text[s.start:s.end])}) for s in segments)
        line_prefix = cleaned.prefix.rsplit("\n", 1)[-1]
        return RenderedPrompt(text=text, messages=(ChatMessage("user", text),), system=FILL_SYSTEM,
                              segments=counted, token_count=self.counter.count(FILL_SYSTEM + text),
                              profile=self.model_profile.name, strip_fences=True,
                              extra={"chat": True, "fill": True, "line_prefix": line_prefix})

    def render_chat(self, messages: list[ChatMessage]) -> RenderedPrompt:
        cleaned = self.guard.clean_messages(messages)
        system = "\n\n".join(m.content for m in cleaned if m.role == "system")
        turns = tuple(m for m in cleaned if m.role != "system")
        text = "\n\n".join(f"{m.role}: {m.content}" for m in turns)
        return RenderedPrompt(text=text, messages=turns, system=system,
                              token_count=self.counter.count(system + text), profile=self.model_profile.name,
                              extra={"chat": True})

    # -- requests -------------------------------------------------------------------------------
    def request(self, prompt: RenderedPrompt, params: GenerationParams) -> dict[str, Any]:
        """The Converse / ConverseStream request body for ``prompt``."""
        profile = self.model_profile
        messages = converse_messages(prompt.messages) or [{"role": "user", "content": [{"text": prompt.text or " "}]}]
        system = prompt.system
        if system and not profile.system_prompt:  # fold it into the first user turn
            first = messages[0]["content"][0]
            first["text"] = f"{system}\n\n{first['text']}"
            system = ""
        inference: dict[str, Any] = {"maxTokens": min(params.max_new_tokens, profile.max_output_tokens)}
        if profile.temperature:
            inference["temperature"] = params.temperature
        stops = list(params.stop)[:profile.max_stop_sequences]
        if stops:
            inference["stopSequences"] = stops
        body: dict[str, Any] = {"modelId": self.aws.model_id, "messages": messages, "inferenceConfig": inference}
        if system:
            body["system"] = [{"text": system}]
        return body

    def start_stream(self, client: Any, prompt: RenderedPrompt, params: GenerationParams) -> Any:
        return client.converse_stream(**self.request(prompt, params))["stream"]

    def call_once(self, client: Any, prompt: RenderedPrompt, params: GenerationParams) -> str:
        response = client.converse(**self.request(prompt, params))
        content = response.get("output", {}).get("message", {}).get("content", [])
        return "".join(block.get("text", "") for block in content)

    def event_text(self, event: dict[str, Any], state: Any) -> Iterable[str]:
        delta = event.get("contentBlockDelta", {}).get("delta", {})
        text = delta.get("text")
        return (text,) if text else ()

    def stream(self, prompt: RenderedPrompt, params: GenerationParams,
               cancel: threading.Event) -> Iterator[str]:
        base = super().stream(prompt, params, cancel)
        chunks = cut_at_stops(base, params.stop)
        if prompt.extra.get("fill"):
            chunks = clean_chat_output(chunks, prompt.extra.get("line_prefix", ""))
        try:
            yield from chunks
        finally:  # close the whole chain now, down to the HTTP stream
            for gen in (chunks, base):
                close = getattr(gen, "close", None)
                if close is not None:
                    close()
