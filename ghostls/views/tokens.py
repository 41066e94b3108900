"""How a tokenizer cuts text into tokens, with exact source spans.

Byte-level BPE tokenizers (GPT-2, SmolLM2, StarCoder, Qwen...) can split one character (an
emoji, a CJK ideograph) across several tokens; their offset mappings then give several tokens
the same span, or trim leading spaces.  Instead we rebuild each token's bytes from its piece,
check that the pieces concatenate to exactly the UTF-8 text, and derive code-point spans from
the byte boundaries.  Tokens whose boundaries fall inside one character form one *group*; a
group is the smallest unit that maps to a source range.  Tokenizers that are not byte-level fall
back to their offset mapping.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Locate = Callable[[int], tuple[int, int]]
_BYTE_FALLBACK = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")


@functools.lru_cache(maxsize=1)
def byte_decoder() -> dict[str, int]:
    """GPT-2's printable-character alphabet for the 256 byte values, reversed."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(
        range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs, strict=False)}


@dataclass
class Token:
    id: int
    piece: str  # the vocabulary entry, as the tokenizer stores it
    text: str  # the decoded text of this token alone (may hold U+FFFD for a split character)
    data: bytes  # the UTF-8 bytes this token stands for
    special: bool
    start: int = 0  # code-point span in the tokenized text
    end: int = 0
    group: int = 0


@dataclass
class Group:
    """One or more consecutive tokens that together cover whole characters."""

    start: int
    end: int
    tokens: list[int] = field(default_factory=list)


@dataclass
class Tokenization:
    text: str
    tokens: list[Token]
    groups: list[Group]
    method: str  # "bytes" (exact) or "offsets" (tokenizer's offset mapping)


def special_ids(tokenizer: Any) -> set[int]:
    added = getattr(tokenizer, "added_tokens_decoder", {}) or {}
    return set(getattr(tokenizer, "all_special_ids", None) or []) | {
        i for i, t in added.items() if getattr(t, "special", False)}


def _piece_bytes(piece: str, token_id: int, tokenizer: Any, added: dict[int, Any]) -> bytes | None:
    if token_id in added:
        return str(added[token_id]).encode("utf-8")
    decoder = byte_decoder()
    if piece and all(ch in decoder for ch in piece):
        return bytes(decoder[ch] for ch in piece)
    match = _BYTE_FALLBACK.match(piece)
    if match:
        return bytes([int(match.group(1), 16)])
    if piece.startswith("▁") or "▁" in piece:  # SentencePiece word boundary marker
        return piece.replace("▁", " ").encode("utf-8")
    return None


def tokenize(tokenizer: Any, text: str) -> Tokenization:
    """Tokenize ``text`` (no BOS/EOS added) into tokens with exact code-point spans and groups."""
    enc = tokenizer(text, add_special_tokens=False)
    ids: list[int] = list(enc["input_ids"])
    pieces = tokenizer.convert_ids_to_tokens(ids)
    specials = special_ids(tokenizer)
    added = getattr(tokenizer, "added_tokens_decoder", {}) or {}
    datas = [_piece_bytes(p, i, tokenizer, added) for p, i in zip(pieces, ids, strict=False)]
    tokens = [Token(id=i, piece=p, text=tokenizer.decode([i]), data=d or b"", special=i in specials)
              for i, p, d in zip(ids, pieces, datas, strict=False)]
    if all(d is not None for d in datas) and b"".join(datas) == text.encode("utf-8"):  # type: ignore[arg-type]
        _spans_from_bytes(text, tokens)
        method = "bytes"
    else:
        _spans_from_offsets(tokenizer, text, tokens)
        method = "offsets"
    return Tokenization(text=text, tokens=tokens, groups=_group(tokens), method=method)


def _spans_from_bytes(text: str, tokens: list[Token]) -> None:
    # byte offset of each code point's start; a token boundary inside a character snaps outward
    starts = []
    pos = 0
    for ch in text:
        starts.append(pos)
        pos += len(ch.encode("utf-8"))
    starts.append(pos)
    offset = 0
    for tok in tokens:
        b0, b1 = offset, offset + len(tok.data)
        offset = b1
        tok.start = bisect.bisect_right(starts, b0) - 1
        end = bisect.bisect_left(starts, b1)
        tok.end = max(end, tok.start)


def _spans_from_offsets(tokenizer: Any, text: str, tokens: list[Token]) -> None:
    try:
        offsets = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    except (NotImplementedError, ValueError, KeyError):
        offsets = None
    cursor = 0
    for i, tok in enumerate(tokens):
        if offsets is not None and i < len(offsets):
            s, e = offsets[i]
            s = min(s, cursor)  # leading spaces trimmed from the offsets belong to this token
            tok.start, tok.end = s, max(e, s)
        else:
            tok.start = tok.end = cursor
        cursor = max(cursor, tok.end)
        tok.data = tok.data or text[tok.start:tok.end].encode("utf-8")


def _group(tokens: list[Token]) -> list[Group]:
    groups: list[Group] = []
    for index, tok in enumerate(tokens):
        if groups and tok.start < groups[-1].end:
            g = groups[-1]
            g.end = max(g.end, tok.end)
            g.tokens.append(index)
        else:
            groups.append(Group(start=tok.start, end=tok.end, tokens=[index]))
        tok.group = len(groups) - 1
    return groups


def lsp_range(locate: Locate, start: int, end: int) -> dict[str, dict[str, int]]:
    (l0, c0), (l1, c1) = locate(start), locate(end)
    return {"start": {"line": l0, "character": c0}, "end": {"line": l1, "character": c1}}


def token_view(tokenizer: Any, text: str, *, base: int = 0, locate: Locate | None = None,
               tokenizer_name: str = "", context_window: int | None = None, note: str = "",
               compare: Any = None, compare_name: str = "") -> dict[str, Any]:
    """The token view of ``text`` (which starts at code-point ``base`` in its document)."""
    result = _describe(tokenizer, text, base, locate, tokenizer_name)
    if context_window:
        result["totals"]["contextWindow"] = context_window
        result["totals"]["contextShare"] = round(result["totals"]["tokens"] / context_window, 6)
    if note:
        result["note"] = note
    if compare is not None:
        result["compare"] = _describe(compare, text, base, locate, compare_name)
    return result


def _describe(tokenizer: Any, text: str, base: int, locate: Locate | None, name: str) -> dict[str, Any]:
    tz = tokenize(tokenizer, text)
    where = locate or (lambda offset: (0, offset))
    tokens = [{"index": i, "id": t.id, "piece": t.piece, "text": t.text, "bytes": len(t.data),
               "special": t.special, "group": t.group} for i, t in enumerate(tz.tokens)]
    groups = [{"text": text[g.start:g.end], "tokens": g.tokens,
               "range": lsp_range(where, base + g.start, base + g.end)} for g in tz.groups]
    n_bytes = len(text.encode("utf-8"))
    return {
        "tokenizer": {"name": name or getattr(tokenizer, "name_or_path", "") or type(tokenizer).__name__,
                      "vocabSize": len(tokenizer), "method": tz.method},
        "tokens": tokens,
        "groups": groups,
        "totals": {"tokens": len(tokens), "groups": len(groups), "characters": len(text), "bytes": n_bytes,
                   "charactersPerToken": round(len(text) / len(tokens), 3) if tokens else 0.0,
                   "special": sum(1 for t in tz.tokens if t.special)},
    }


def group_spans(tz: Tokenization) -> Sequence[tuple[int, int]]:
    return [(g.start, g.end) for g in tz.groups]
