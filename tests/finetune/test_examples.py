"""Example extraction on a real folder: walk and privacy rules, split by file, syntax-node cuts."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from ghostls.finetune.examples import (
    build_examples,
    collect_files,
    fim_examples,
    line_chunks,
    next_line_positions,
    split_by_file,
)
from ghostls.providers.profiles import PROFILES
from ghostls.settings import PrivacySettings

EMAIL = Path(os.path.dirname(os.__file__)) / "email"


def _workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "pkg").mkdir(parents=True)
    for i in range(6):
        body = "\n".join(f"def f{i}_{j}(x):\n    total = x + {j}\n    return total * {i}\n" for j in range(12))
        (root / "pkg" / f"mod{i}.py").write_text(f"# module {i}\nMARKER_{i} = {i}\n\n{body}")
    (root / "build").mkdir()
    (root / "build" / "gen.py").write_text("IGNORED_BY_GITIGNORE = 1\n")
    (root / ".gitignore").write_text("build/\n")
    (root / "pkg" / "secrets_local.py").write_text("API_TOKEN = 'abc'\n")
    (root / "notes.txt").write_text("not code\n")
    return root


def test_walk_rules_and_privacy_exclusions_apply(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    rels = {f.rel for f in collect_files(root, privacy=PrivacySettings(exclude=("secrets_*.py",)))}
    assert rels == {f"pkg/mod{i}.py" for i in range(6)}
    # without the exclusion the file is code like any other
    assert "pkg/secrets_local.py" in {f.rel for f in collect_files(root, privacy=PrivacySettings(exclude=()))}


@pytest.mark.parametrize("profile", ["prefix-only-repo", "starcoder2"])
@pytest.mark.parametrize("seed", [0, 1, 7])
def test_no_held_out_file_leaks_into_training(tmp_path: Path, profile: str, seed: int) -> None:
    files = collect_files(_workspace(tmp_path))
    split = split_by_file(files, fraction=0.3, seed=seed)
    train_rels, held_rels = {f.rel for f in split.train}, {f.rel for f in split.held_out}
    assert held_rels and train_rels and not (train_rels & held_rels)
    assert train_rels | held_rels == {f.rel for f in files}
    examples = build_examples(split.train, PROFILES[profile], seed=seed, max_bytes=300)
    assert examples and {e.path for e in examples} <= train_rels
    text = "".join(e.prompt + e.target for e in examples)
    for rel in held_rels:  # each file has a line no other file has
        marker = f"MARKER_{rel[len('pkg/mod'):-3]} ="
        assert marker not in text
    positions = next_line_positions(split.held_out, PROFILES[profile], count=20, seed=seed)
    assert positions and {p.path for p in positions} <= held_rels


def test_split_is_seeded_and_by_bytes() -> None:
    files = collect_files(EMAIL)
    a, b, c = split_by_file(files, 0.2, 0), split_by_file(files, 0.2, 0), split_by_file(files, 0.2, 3)
    assert a.held_out == b.held_out and a.data_hash == b.data_hash
    assert a.data_hash != c.data_hash
    share = sum(len(f.text) for f in a.held_out) / sum(len(f.text) for f in files)
    assert 0.15 <= share <= 0.35


def test_line_chunks_cover_the_file_and_cut_between_nodes() -> None:
    source = (EMAIL / "charset.py").read_text()
    f = next(f for f in collect_files(EMAIL) if f.rel == "charset.py")
    chunks = line_chunks(f, max_bytes=1200)
    assert "".join(c.target for c in chunks) == source  # whole file, in order, nothing lost
    assert len(chunks) > 5
    lines = set(source.splitlines())
    for c in chunks:
        assert c.prompt == "" and c.kind == "lines"
        first = c.target.split("\n", 1)[0]
        assert first in lines  # starts at a line start
    oversized = [c for c in chunks if len(c.target.encode()) > 1200]
    assert len(oversized) <= len(chunks) // 4  # only single nodes too big to cut


def test_fim_examples_use_the_profile_layout_at_syntax_nodes() -> None:
    profile = PROFILES["starcoder2"]
    f = next(f for f in collect_files(EMAIL) if f.rel == "charset.py")
    examples = fim_examples(f, profile, random.Random(0), context_bytes=600)
    assert len(examples) >= 10
    for e in examples:
        assert e.prompt.startswith("<fim_prefix>") and e.prompt.endswith("<fim_middle>")
        assert e.target.endswith("<|endoftext|>")
        middle = e.target[:-len("<|endoftext|>")]
        prefix = e.prompt[len("<fim_prefix>"):e.prompt.index("<fim_suffix>")]
        suffix = e.prompt[e.prompt.index("<fim_suffix>") + len("<fim_suffix>"):-len("<fim_middle>")]
        assert prefix + middle + suffix in f.text  # a real span of the file, cut at the node


def test_next_line_positions_are_real_lines() -> None:
    files = [f for f in collect_files(EMAIL) if f.rel in ("errors.py", "base64mime.py")]
    prefix_only = next_line_positions(files, PROFILES["prefix-only-repo"], count=15, seed=0)
    assert len(prefix_only) == 15
    by_rel = {f.rel: f.text.split("\n") for f in files}
    for p in prefix_only:
        assert by_rel[p.path][p.line_number].rstrip() == p.line and p.line.strip()
        assert p.lead == "\n" and not p.prompt.endswith("\n")
        full = "\n".join(by_rel[p.path])
        rest = full[full.index(p.prompt) + len(p.prompt):]
        assert rest.startswith("\n") and rest.lstrip("\n").startswith(p.line)
    fim = next_line_positions(files, PROFILES["starcoder2"], count=5, seed=0)
    assert all(p.lead == "" and p.prompt.endswith("<fim_middle>") for p in fim)
