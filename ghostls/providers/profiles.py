"""Model profiles: every model-family quirk lives here, nowhere else.

A profile says how a completion prompt is laid out for one family of models: its
fill-in-the-middle (FIM) tokens and their order, its repository-level markers, and its stop
tokens.  Profiles are detected from the tokenizer's vocabulary (special tokens), and a user
can name one in the ``modelProfile`` setting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ghostls.providers.base import PromptParts, Segment, Snippet


@dataclass(frozen=True)
class ModelProfile:
    name: str
    description: str
    # FIM layout: None for prefix-only models.  "psm" = prefix, suffix, middle;
    # "spm" = suffix first (Codestral).
    fim_prefix: str | None = None
    fim_suffix: str | None = None
    fim_middle: str | None = None
    fim_order: str = "psm"
    repo_name: str | None = None
    repo_name_newline: bool = True  # "<repo_name>name\n" (Qwen) or "<repo_name>name<file_sep>" (StarCoder2)
    file_sep: str | None = None
    stop: tuple[str, ...] = ()
    # Tokens whose presence in the vocabulary identifies this family.
    signature: tuple[str, ...] = field(default=())
    # Comment syntax used to show context to prefix-only models without file markers.
    chat: bool = False

    @property
    def supports_fim(self) -> bool:
        return self.fim_prefix is not None

    def layout(self, parts: PromptParts) -> tuple[str, tuple[Segment, ...]]:
        """Join the parts into prompt text; return it with its segments."""
        pieces: list[tuple[str, str, Snippet | None]] = []  # (kind, text, snippet)
        context = self._context_pieces(parts)
        if self.supports_fim:
            current = (self.file_sep + parts.path + "\n") if (self.file_sep and parts.path) else ""
            # Without file markers, context is commented code at the top of the prefix: a FIM
            # model only reads what lies inside its FIM frame as part of the file.
            outside, inside = (context, []) if self.file_sep else ([], context)
            if self.fim_order == "spm":
                pieces += outside
                pieces += [("marker", self.fim_suffix or "", None), ("suffix", parts.suffix, None),
                           ("marker", (self.fim_prefix or "") + current, None), *inside,
                           ("prefix", parts.prefix, None)]
            else:
                pieces += outside
                if current and context:
                    pieces.append(("marker", current, None))
                pieces += [("marker", self.fim_prefix or "", None), *inside, ("prefix", parts.prefix, None),
                           ("marker", self.fim_suffix or "", None), ("suffix", parts.suffix, None),
                           ("marker", self.fim_middle or "", None)]
        else:
            pieces += context
            if self.file_sep and parts.path and context:
                pieces.append(("marker", self.file_sep + parts.path + "\n", None))
            pieces.append(("prefix", parts.prefix, None))
        text_parts: list[str] = []
        segments: list[Segment] = []
        pos = 0
        for kind, text, snip in pieces:
            if not text:
                continue
            text_parts.append(text)
            seg = Segment(kind=kind, start=pos, end=pos + len(text))
            if snip is not None:
                seg = Segment(kind="snippet", start=pos, end=pos + len(text), path=snip.path,
                              start_line=snip.start_line, end_line=snip.end_line, score=snip.score,
                              source=snip.source)
            segments.append(seg)
            pos += len(text)
        return "".join(text_parts), tuple(segments)

    def _context_pieces(self, parts: PromptParts) -> list[tuple[str, str, Snippet | None]]:
        if not parts.snippets:
            return []
        out: list[tuple[str, str, Snippet | None]] = []
        if self.repo_name and parts.repo_name:
            out.append(("marker", self.repo_name + parts.repo_name + ("\n" if self.repo_name_newline else ""), None))
        for snip in parts.snippets:
            if self.file_sep:
                out.append(("marker", self.file_sep + (snip.path or "context") + "\n", None))
                out.append(("snippet", snip.text.rstrip("\n") + "\n", snip))
            else:
                header = comment_line(parts.language, f"{snip.path}:{snip.start_line + 1}")
                out.append(("snippet", header + snip.text.rstrip("\n") + "\n\n", snip))
        return out


_LINE_COMMENT = {"python": "#", "ruby": "#", "shell": "#", "shellscript": "#", "yaml": "#",
                 "toml": "#", "r": "#", "perl": "#", "lua": "--", "sql": "--", "haskell": "--"}


def comment_line(language: str, text: str) -> str:
    return f"{_LINE_COMMENT.get(language, '//')} {text}\n"


PROFILES: dict[str, ModelProfile] = {p.name: p for p in [
    ModelProfile(
        "qwen2.5-coder", "Qwen2.5-Coder: <|fim_prefix|>, repo and file markers",
        fim_prefix="<|fim_prefix|>", fim_suffix="<|fim_suffix|>", fim_middle="<|fim_middle|>",
        repo_name="<|repo_name|>", file_sep="<|file_sep|>",
        stop=("<|endoftext|>", "<|fim_pad|>", "<|file_sep|>", "<|im_end|>", "<|fim_prefix|>"),
        signature=("<|fim_prefix|>", "<|repo_name|>")),
    ModelProfile(
        "codegemma", "CodeGemma: <|fim_prefix|> and <|file_separator|>",
        fim_prefix="<|fim_prefix|>", fim_suffix="<|fim_suffix|>", fim_middle="<|fim_middle|>",
        file_sep="<|file_separator|>",
        stop=("<|file_separator|>", "<|fim_prefix|>", "<eos>", "<end_of_turn>"),
        signature=("<|fim_prefix|>", "<|file_separator|>")),
    ModelProfile(
        "starcoder2", "StarCoder2 / StarCoder / SantaCoder: <fim_prefix> with <file_sep>",
        fim_prefix="<fim_prefix>", fim_suffix="<fim_suffix>", fim_middle="<fim_middle>",
        repo_name="<repo_name>", repo_name_newline=False, file_sep="<file_sep>",
        stop=("<|endoftext|>", "<file_sep>", "<fim_prefix>"),
        signature=("<fim_prefix>", "<file_sep>")),
    ModelProfile(
        "starcoder", "StarCoder / SantaCoder (no file markers)",
        fim_prefix="<fim_prefix>", fim_suffix="<fim_suffix>", fim_middle="<fim_middle>",
        stop=("<|endoftext|>", "<fim_prefix>"), signature=("<fim_prefix>",)),
    ModelProfile(
        "santacoder", "SantaCoder: dashed FIM tokens",
        fim_prefix="<fim-prefix>", fim_suffix="<fim-suffix>", fim_middle="<fim-middle>",
        stop=("<|endoftext|>",), signature=("<fim-prefix>",)),
    ModelProfile(
        "deepseek-coder", "DeepSeek-Coder: <｜fim▁begin｜>",
        fim_prefix="<｜fim▁begin｜>", fim_suffix="<｜fim▁hole｜>", fim_middle="<｜fim▁end｜>",
        stop=("<｜end▁of▁sentence｜>", "<|EOT|>"), signature=("<｜fim▁begin｜>",)),
    ModelProfile(
        "codellama", "CodeLlama: <PRE> <SUF> <MID>",
        fim_prefix="<PRE> ", fim_suffix=" <SUF>", fim_middle=" <MID>",
        stop=("<EOT>", "</s>"), signature=("▁<PRE>", "<PRE>")),
    ModelProfile(
        "codestral", "Codestral: [SUFFIX] first, then [PREFIX]",
        fim_prefix="[PREFIX]", fim_suffix="[SUFFIX]", fim_middle="", fim_order="spm",
        stop=("</s>",), signature=("[SUFFIX]", "[PREFIX]")),
    ModelProfile(
        "prefix-only-repo", "Prefix-only model that knows <file_sep>/<repo_name> (e.g. SmolLM2)",
        repo_name="<repo_name>", file_sep="<file_sep>",
        stop=("<|endoftext|>", "<file_sep>", "<|im_end|>", "<|im_start|>"),
        signature=("<file_sep>", "<repo_name>")),
    ModelProfile(
        "prefix-only", "Any causal LM without FIM: prefix in, continuation out",
        stop=("<|endoftext|>", "</s>")),
]}

# Detection order: most specific signatures first.
_DETECTION_ORDER = ["qwen2.5-coder", "codegemma", "starcoder2", "starcoder", "santacoder",
                    "deepseek-coder", "codellama", "codestral", "prefix-only-repo"]


def detect_profile(vocabulary: Iterable[str], requested: str = "auto") -> ModelProfile:
    """The profile named by ``requested``, or the one whose signature the vocabulary has.

    The signature must be complete (every token present); "any one of" signatures such as
    CodeLlama's two spellings are listed as separate profiles' alternatives.
    """
    if requested and requested != "auto":
        if requested not in PROFILES:
            raise KeyError(f"unknown model profile {requested!r}; known: {', '.join(sorted(PROFILES))}")
        return PROFILES[requested]
    vocab = set(vocabulary)
    for name in _DETECTION_ORDER:
        profile = PROFILES[name]
        sig = profile.signature
        if name == "codellama":
            if any(tok in vocab for tok in sig):
                return profile
        elif sig and all(tok in vocab for tok in sig):
            return profile
    return PROFILES["prefix-only"]
