"""Helpers for index tests: small real workspaces written to tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghostls.indexing.workspace import WorkspaceIndex


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def make_index(tmp_path: Path):
    """Open WorkspaceIndex objects on a private cache; all are closed after the test."""
    opened: list[WorkspaceIndex] = []
    cache = tmp_path / "cache"

    def make(root: Path, **kwargs) -> WorkspaceIndex:
        kwargs.setdefault("cache_dir", str(cache))
        kwargs.setdefault("workers", 1)
        index = WorkspaceIndex(str(root), **kwargs)
        opened.append(index)
        return index

    yield make
    for index in opened:
        index.close()
