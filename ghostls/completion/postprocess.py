"""Post-processing stages: each takes the generated text and returns a cleaned version.

Stages are pure functions of ``(text, context)`` so they can be table-tested.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ghostls.completion.request import CompletionRequest
from ghostls.completion.shape import Shape, _indent


@dataclass(frozen=True)
class PostContext:
    request: CompletionRequest
    shape: Shape


Stage = Callable[[str, PostContext], str]


def cut_to_shape(text: str, ctx: PostContext) -> str:
    """Keep the rest of the line, or the block that starts at the cursor."""
    if ctx.shape.mode == "line":
        return text.partition("\n")[0]
    lines = text.split("\n")
    kept: list[str] = []
    block_indent: str | None = None
    starts_mid_line = bool(ctx.request.line_prefix.strip())
    for i, line in enumerate(lines):
        if i == 0 and starts_mid_line:
            kept.append(line)
            continue
        if not line.strip():
            kept.append(line)
            continue
        indent = ctx.request.line_prefix + line if i == 0 else line
        indent = _indent(indent)
        if block_indent is None:
            block_indent = indent
            if starts_mid_line and len(indent) <= len(ctx.shape.base_indent):
                break
        elif len(indent) < len(block_indent):
            break
        kept.append(line)
        if sum(1 for k in kept if k.strip()) >= ctx.shape.max_lines:
            break
    return "\n".join(kept)


def drop_suffix_duplicate(text: str, ctx: PostContext) -> str:
    """Remove trailing lines that repeat the lines already below the cursor."""
    suffix_lines = [ln.strip() for ln in ctx.request.suffix.split("\n")[1:] if ln.strip()][:3]
    if not suffix_lines:
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if i > 0 and line.strip() and line.strip() == suffix_lines[0]:
            return "\n".join(lines[:i])
    return text


def trim_trailing_whitespace(text: str, ctx: PostContext) -> str:
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1].strip() and len(lines) > 1:
        lines.pop()
    return "\n".join(lines)


STAGES: tuple[Stage, ...] = (cut_to_shape, drop_suffix_duplicate, trim_trailing_whitespace)


def postprocess(text: str, ctx: PostContext, stages: tuple[Stage, ...] = STAGES) -> str:
    for stage in stages:
        text = stage(text, ctx)
        if not text.strip():
            return ""
    return text


def is_complete(text: str, ctx: PostContext) -> bool:
    """True once more generated text cannot change the answer (streaming early stop)."""
    if ctx.shape.mode == "line":
        return "\n" in text
    cut = cut_to_shape(text, ctx)
    # The cut dropped something after the last line we keep: the block is closed.
    return len(cut) < len(text.rstrip()) and text.count("\n") > cut.count("\n")


def strip_fences(text: str) -> str:
    """Remove Markdown code fences and the prose around them (chat models add them anyway)."""
    if "```" not in text:
        return text
    start = text.find("```")
    body_start = text.find("\n", start)
    if body_start == -1:
        return ""
    end = text.find("```", body_start)
    return text[body_start + 1: end if end != -1 else len(text)].rstrip("\n")
