"""Training and evaluation examples cut from a workspace's own files.

Files come from the index's walk (``.gitignore``, hidden and vendored folders, size, binary and
generated-file rules) minus the privacy exclusions (secrets never become training data).  They
are split into train and held-out BY FILE, so no held-out line was ever seen in training.

Examples are cut at syntax-node boundaries (tree-sitter):

* ``lines`` examples: a run of whole top-level nodes (a big class is cut between its methods);
  every token is a target, i.e. next-line prediction at every line.  Prefix-only models (the
  embedded SmolLM2) learn from these only.
* ``fim`` examples, for models whose profile has fill-in-the-middle tokens: a statement, body
  or argument list is the middle; prefix and suffix around it are laid out by the profile
  exactly as the server lays out a completion prompt, and the target ends with the stop token.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ghostls.indexing.files import read_for_index, walk
from ghostls.indexing.languages import parse, spec_for
from ghostls.privacy import PrivacyGuard
from ghostls.providers.base import PromptParts
from ghostls.providers.profiles import ModelProfile
from ghostls.settings import IndexSettings, PrivacySettings

# Node types whose text makes a good fill-in-the-middle span (besides "*statement").
_MIDDLE_SUFFIXES = ("statement", "block", "body", "arguments", "argument_list", "parameters",
                    "expression", "declaration", "assignment")
_MIDDLE_MIN_BYTES = 6
_MIDDLE_MAX_BYTES = 600


@dataclass(frozen=True)
class SourceFile:
    path: str  # absolute
    rel: str  # relative to the workspace root, "/"-separated
    text: str
    language: str  # tree-sitter spec name

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Example:
    """Train on ``target`` given ``prompt`` (the loss is on the target's tokens only)."""

    prompt: str
    target: str
    path: str
    kind: str  # "lines" | "fim"


@dataclass(frozen=True)
class LinePosition:
    """A held-out line to predict: the model sees ``prompt`` and should write ``lead + line``."""

    path: str
    line_number: int
    prompt: str
    line: str
    lead: str  # "\n" for prefix-only prompts, which end before the line break (blank lines may follow)


@dataclass(frozen=True)
class Split:
    train: tuple[SourceFile, ...]
    held_out: tuple[SourceFile, ...]
    seed: int
    fraction: float

    @property
    def data_hash(self) -> str:
        """Names and contents of both sides and how they were split: what an adapter was made from."""
        h = hashlib.sha256(f"split:{self.seed}:{self.fraction}".encode())
        for side, files in (("train", self.train), ("held-out", self.held_out)):
            for f in sorted(files, key=lambda f: f.rel):
                h.update(f"\0{side}\0{f.rel}\0{f.digest}".encode())
        return h.hexdigest()[:16]


def collect_files(root: str | Path, index: IndexSettings | None = None,
                  privacy: PrivacySettings | None = None) -> list[SourceFile]:
    """The workspace's code files that the index would read, minus the privacy exclusions."""
    index = index or IndexSettings()
    guard = PrivacyGuard(privacy or PrivacySettings())
    root = Path(root).resolve()
    max_bytes = index.max_file_kb * 1024
    files: list[SourceFile] = []
    for cand in walk(str(root), index.exclude):
        rel = Path(cand.path).resolve().relative_to(root).as_posix() if Path(cand.path).resolve().is_relative_to(
            root) else Path(cand.path).name
        if guard.excluded(rel):
            continue
        data, reason = read_for_index(cand.path, cand.size, max_bytes)
        spec = spec_for(path=cand.path)
        if reason or spec is None or not data.strip():
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        files.append(SourceFile(cand.path, rel, text, spec.name))
    return sorted(files, key=lambda f: f.rel)


def split_by_file(files: Sequence[SourceFile], fraction: float = 0.2, seed: int = 0) -> Split:
    """About ``fraction`` of the bytes go to held-out, whole files only, chosen by a seeded hash."""
    order = sorted(files, key=lambda f: hashlib.sha256(f"{seed}:{f.rel}".encode()).hexdigest())
    total = sum(len(f.text) for f in files)
    target = total * fraction
    held: list[SourceFile] = []
    held_bytes = 0
    if len(files) >= 2 and fraction > 0:
        for f in order:
            if held_bytes >= target:
                break
            if held and held_bytes + len(f.text) > target * 1.5:
                continue  # a huge file would take far more than the share: try smaller ones
            if len(held) + 1 >= len(files):
                break  # keep at least one file to train on
            held.append(f)
            held_bytes += len(f.text)
    held_rels = {f.rel for f in held}
    train = tuple(f for f in files if f.rel not in held_rels)
    return Split(train=train, held_out=tuple(sorted(held, key=lambda f: f.rel)), seed=seed, fraction=fraction)


# -- syntax-node boundaries ---------------------------------------------------------------------

def node_boundaries(data: bytes, language: str, max_bytes: int) -> list[int]:
    """Byte offsets that cut ``data`` between syntax nodes into pieces of at most ``max_bytes``
    (a single node larger than that, with no children to cut between, stays whole).

    Cuts move past trailing spaces to the next line start; cuts that would still fall inside a
    line are dropped, so every piece starts at a line start.
    """
    spec = spec_for(language) if language else None
    cuts: list[int] = [0]
    if spec is not None:
        tree = parse(data, spec)
        _cut(tree.root_node, 0, len(data), max_bytes, cuts)
    cuts.append(len(data))
    adjusted: list[int] = []
    for b in cuts:
        nl = data.find(b"\n", b)
        if 0 < b < len(data) and nl != -1 and not data[b:nl].strip():
            b = nl + 1
        if 0 < b < len(data) and data[b - 1] != 0x0A:
            continue  # a cut inside a line (e.g. after a function's name) would split the line
        if not adjusted or b > adjusted[-1]:
            adjusted.append(min(b, len(data)))
    if adjusted[-1] != len(data):
        adjusted.append(len(data))
    return adjusted


def _cut(node, start: int, end: int, max_bytes: int, cuts: list[int]) -> None:
    pos = start
    for child in node.children:
        if child.end_byte <= pos:
            continue
        if child.end_byte - pos > max_bytes and child.child_count:
            _cut(child, pos, child.end_byte, max_bytes, cuts)
        else:
            cuts.append(child.end_byte)
        pos = child.end_byte
    if pos < end:
        cuts.append(end)


def line_chunks(file: SourceFile, max_bytes: int) -> list[Example]:
    """Runs of whole syntax nodes of up to ``max_bytes`` each, covering the file."""
    data = file.text.encode("utf-8", "surrogatepass")
    cuts = node_boundaries(data, file.language, max_bytes)
    out: list[Example] = []
    start = 0
    for prev, b in zip(cuts, cuts[1:], strict=False):
        if b - start > max_bytes and prev > start:
            out.append(_chunk(data, start, prev, file.rel))
            start = prev
    if start < len(data):
        out.append(_chunk(data, start, len(data), file.rel))
    return [e for e in out if e.target.strip()]


def _chunk(data: bytes, a: int, b: int, rel: str) -> Example:
    return Example(prompt="", target=data[a:b].decode("utf-8", "replace"), path=rel, kind="lines")


def _is_middle(node) -> bool:
    if not node.is_named or node.type in ("comment", "string"):
        return False
    size = node.end_byte - node.start_byte
    return _MIDDLE_MIN_BYTES <= size <= _MIDDLE_MAX_BYTES and node.type.endswith(_MIDDLE_SUFFIXES)


def fim_examples(file: SourceFile, profile: ModelProfile, rng: random.Random, context_bytes: int,
                 per_kb: float = 2.0) -> list[Example]:
    """Middles at statements, bodies and argument lists, laid out by the model's profile."""
    spec = spec_for(file.language)
    if spec is None or not profile.supports_fim:
        return []
    data = file.text.encode("utf-8", "surrogatepass")
    nodes = []
    stack = [parse(data, spec).root_node]
    while stack:
        node = stack.pop()
        if _is_middle(node):
            nodes.append((node.start_byte, node.end_byte))
        stack.extend(node.children)
    nodes.sort()
    want = max(1, int(len(data) / 1024 * per_kb))
    picked = sorted(rng.sample(nodes, min(want, len(nodes))))
    stop = profile.stop[0] if profile.stop else ""
    out: list[Example] = []
    for a, b in picked:
        head = max(0, a - context_bytes)
        head = data.find(b"\n", head) + 1 if head > 0 and data.find(b"\n", head) != -1 and \
            data.find(b"\n", head) < a else head
        prefix = data[head:a].decode("utf-8", "replace")
        suffix = data[b:b + context_bytes // 2].decode("utf-8", "replace")
        middle = data[a:b].decode("utf-8", "replace")
        prompt, _ = profile.layout(PromptParts(prefix=prefix, suffix=suffix, path=file.rel,
                                               language=file.language))
        out.append(Example(prompt=prompt, target=middle + stop, path=file.rel, kind="fim"))
    return out


def build_examples(files: Sequence[SourceFile], profile: ModelProfile, *, seed: int = 0,
                   max_bytes: int = 1600) -> list[Example]:
    """``lines`` chunks for every model, plus ``fim`` examples where the profile has FIM tokens."""
    rng = random.Random(seed)
    out: list[Example] = []
    for f in sorted(files, key=lambda f: f.rel):
        out.extend(line_chunks(f, max_bytes))
        out.extend(fim_examples(f, profile, rng, context_bytes=max_bytes // 2))
    return out


# -- next-line positions ----------------------------------------------------------------------

def next_line_positions(files: Sequence[SourceFile], profile: ModelProfile, *, count: int = 80,
                        seed: int = 0, context_bytes: int = 1500, min_line: int = 3) -> list[LinePosition]:
    """Up to ``count`` lines that start a syntax node (not a comment), sampled with ``seed``.

    Prefix-only prompts end before the line break and any blank lines (the tokenizer merges
    newlines with the indentation after them, so a prompt that ends right after "\\n" would be
    unfair): the model must write the line break, blank lines and the line; FIM prompts
    hold the text before the line as prefix and the rest of the file as suffix.
    """
    candidates: list[tuple[SourceFile, int, int, int]] = []  # file, line number, start, end (bytes)
    for f in sorted(files, key=lambda f: f.rel):
        spec = spec_for(f.language)
        if spec is None:
            continue
        data = f.text.encode("utf-8", "surrogatepass")
        root = parse(data, spec).root_node
        start = 0
        for number, raw in enumerate(data.split(b"\n")):
            end = start + len(raw)
            stripped = raw.lstrip()
            first = start + len(raw) - len(stripped)
            if number >= min_line and stripped.strip() and _starts_node(root, first):
                candidates.append((f, number, start, end))
            start = end + 1
    rng = random.Random(seed)
    picked = sorted(rng.sample(candidates, min(count, len(candidates))), key=lambda c: (c[0].rel, c[1]))
    out: list[LinePosition] = []
    for f, number, a, b in picked:
        data = f.text.encode("utf-8", "surrogatepass")
        line = data[a:b].decode("utf-8", "replace").rstrip()
        head = max(0, a - context_bytes)
        if head:
            nl = data.find(b"\n", head)
            head = nl + 1 if 0 <= nl < a else head
        if profile.supports_fim:
            parts = PromptParts(prefix=data[head:a].decode("utf-8", "replace"),
                                suffix=data[b:b + context_bytes // 2].decode("utf-8", "replace"),
                                path=f.rel, language=f.language)
            prompt, lead = profile.layout(parts)[0], ""
        else:
            prompt, lead = data[head:a].decode("utf-8", "replace").rstrip(), "\n"
        out.append(LinePosition(path=f.rel, line_number=number, prompt=prompt, line=line, lead=lead))
    return out


def _starts_node(root, offset: int) -> bool:
    node = root.named_descendant_for_byte_range(offset, offset)
    while node is not None and node.start_byte == offset:
        if node.type != "comment" and node.parent is not None:
            return node.type not in ("string", "string_start", "string_content")
        node = node.parent
    return False
