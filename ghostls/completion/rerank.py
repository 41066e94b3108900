"""Suffix-aware reranking: for models that cannot see the code below the cursor.

A prefix-only model (no fill-in-the-middle) writes blind: its best guess for the line at the
cursor ignores the code that follows.  But we can still ask it which of several guesses fits
that code.  By Bayes, the suggestion ``c`` most likely given the prefix ``p`` and the suffix
``s`` maximises ``P(c | p, s) ~ P(c, s | p) = P(c | p) * P(s | p, c)``: the model's probability
of the whole text ``c + s`` after the prompt.  So the stage

1. generates a few distinct greedy alternatives (:attr:`GenerationParams.branch`: the k-th best
   first code token, then greedy), each one a short generation from the cached prompt;
2. scores each post-processed suggestion followed by the next lines of the document
   (``SUFFIX_LINES``) with one teacher-forced pass (:meth:`Provider.score`);
3. orders the suggestions by that score.

It only runs where it can matter and the provider can branch and score (the local engine):
greedy decoding, a model without FIM, and code below the cursor.  Everything else (and every
other provider) goes on as before.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from ghostls.completion.request import Completion, CompletionRequest
from ghostls.completion.shape import Shape, indent_width, next_code_line
from ghostls.providers.base import Provider, RenderedPrompt

log = logging.getLogger(__name__)

# Code below a suggestion that is scored with it: the rest of its line and the next non-blank
# line.  Measured on 150 HumanEval tasks (bench/humaneval_e2e.py's subset), 1, 3 and 6 lines
# chose equally well, and every scored token costs a forward pass of the model.
SUFFIX_LINES = 1
SUFFIX_CHARS = 300  # and at most this much of it (long lines)


def wants_rerank(request: CompletionRequest, shape: Shape, provider: Provider, alternatives: int,
                 temperature: float, while_typing: str = "always") -> bool:
    """Rerank only greedy suggestions of a prefix-only model that can score, with code below;
    automatic requests as ``while_typing`` says ('gpu': only where the model runs on a GPU)."""
    if alternatives < 2 or temperature > 0 or not all(
            callable(getattr(provider, name, None)) for name in ("alternatives", "score")):
        return False
    if not request.invoked and (while_typing == "never" or (
            while_typing == "gpu" and getattr(provider, "device", "cpu") in ("cpu", ""))):
        return False
    if getattr(getattr(provider, "profile", None), "supports_fim", True):
        return False  # the model saw the suffix already
    below = next_code_line(request.suffix, include_current=True)
    return bool(below) and indent_width(below) > shape.outer_floor


def continuation(request: CompletionRequest, item: Completion) -> str:
    """The suggestion followed by the code it leads into: the rest of its line and the next
    SUFFIX_LINES non-blank lines (blank lines between them are kept)."""
    rest = request.text[item.end:]
    lines = rest.split("\n")
    end, code = 1, 0
    while end < len(lines) and code < SUFFIX_LINES:
        code += bool(lines[end].strip())
        end += 1
    return item.text + "\n".join(lines[:end])[:SUFFIX_CHARS]


def rerank(items: Sequence[Completion], request: CompletionRequest, prompt: RenderedPrompt,
           provider: Provider, cancel: threading.Event) -> tuple[list[Completion], list[float]]:
    """``items`` best first by the model's probability of suggestion + following code.

    Ties keep the original (greedy first) order.  Raises GenerationCancelled when cancelled.
    """
    if len(items) < 2:
        return list(items), [0.0] * len(items)
    scores = provider.score(prompt, [continuation(request, item) for item in items], cancel)  # type: ignore[attr-defined]
    order = sorted(range(len(items)), key=lambda i: (-scores[i], i))
    log.debug("rerank: %s", ", ".join(f"{items[i].text.strip()[:30]!r}={scores[i]:.1f}" for i in order))
    return [items[i] for i in order], [scores[i] for i in order]
