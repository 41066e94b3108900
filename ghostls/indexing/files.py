"""Which files of a workspace get indexed: the walk, ``.gitignore``, and the skip rules.

A file is skipped (and the reason recorded, so a restart does not read it again) when it is
larger than the size limit, binary (a NUL byte in its first 8 KiB), or generated (a known
generated-file name, or a "DO NOT EDIT" / "@generated" marker near the top).
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pathspec

from ghostls.indexing.languages import spec_for

log = logging.getLogger(__name__)

SNIFF_BYTES = 8192
# Directories never worth indexing (besides hidden ones, which are skipped too).
SKIP_DIRS = frozenset({"node_modules", "__pycache__", "site-packages", "bower_components", "vendor_cache"})
_GENERATED_NAME = re.compile(
    r"(_pb2(_grpc)?\.pyi?|\.pb\.(go|cc|h)|\.min\.(js|mjs)|\.bundle\.js|[._]generated\.\w+|\.g\.dart|_string\.go)$")
_GENERATED_MARKS = (b"@generated", b"do not edit")  # Go's "Code generated ... DO NOT EDIT.", Meta's @generated


@dataclass(frozen=True)
class Candidate:
    """A file the walk found that a grammar can read, with what a restart compares."""

    path: str
    size: int
    mtime_ns: int


class Ignores:
    """``.gitignore`` files (the root's and nested ones) plus extra patterns from the settings."""

    def __init__(self, root: str, extra: Sequence[str] = ()) -> None:
        self.root = root
        self._specs: dict[str, pathspec.PathSpec | None] = {}
        self._extra = pathspec.GitIgnoreSpec.from_lines(list(extra)) if extra else None

    def _spec_for_dir(self, directory: str) -> pathspec.PathSpec | None:
        if directory not in self._specs:
            spec = None
            try:
                with open(os.path.join(directory, ".gitignore"), encoding="utf-8", errors="replace") as fh:
                    lines = fh.read().splitlines()
                spec = pathspec.GitIgnoreSpec.from_lines(lines) if lines else None
            except OSError:
                pass
            self._specs[directory] = spec
        return self._specs[directory]

    def ignored(self, path: str, is_dir: bool = False) -> bool:
        rel = os.path.relpath(path, self.root)
        if rel.startswith(".."):
            return False
        suffix = "/" if is_dir else ""
        if self._extra is not None and self._extra.match_file(rel + suffix):
            return True
        # Every ancestor directory's .gitignore applies, relative to that directory.
        directory = os.path.dirname(path)
        while True:
            spec = self._spec_for_dir(directory)
            if spec is not None and spec.match_file(os.path.relpath(path, directory) + suffix):
                return True
            if directory == self.root or len(directory) <= len(self.root):
                return False
            directory = os.path.dirname(directory)


def walk(root: str, extra_excludes: Sequence[str] = ()) -> Iterator[Candidate]:
    """Indexable files under ``root`` (not following directory symlinks, so loops cannot trap it).

    Unreadable directories and files that vanish mid-walk are skipped with a debug log.
    Oversized files are still yielded (the indexer records them as skipped).
    """
    root = os.path.abspath(root)
    ignores = Ignores(root, extra_excludes)
    seen_dirs: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            st = os.stat(directory)
            if (st.st_dev, st.st_ino) in seen_dirs:
                continue
            seen_dirs.add((st.st_dev, st.st_ino))
            entries = list(os.scandir(directory))
        except OSError as exc:
            log.debug("cannot list %s: %s", directory, exc)
            continue
        subdirs: list[str] = []
        for entry in entries:
            name = entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if name.startswith(".") or name in SKIP_DIRS or ignores.ignored(entry.path, is_dir=True):
                        continue
                    subdirs.append(entry.path)
                    continue
                if spec_for(path=name) is None or ignores.ignored(entry.path):
                    continue
                st = entry.stat()  # follows a file symlink; a loop or dangling link raises
                if not stat.S_ISREG(st.st_mode):
                    continue
            except OSError as exc:
                log.debug("skipping %s: %s", entry.path, exc)
                continue
            yield Candidate(entry.path, st.st_size, st.st_mtime_ns)
        stack.extend(sorted(subdirs, reverse=True))


def skip_reason(path: str, head: bytes, size: int, max_bytes: int) -> str:
    """Why a file is not indexed ("" when it is): "too-large", "binary" or "generated"."""
    if size > max_bytes:
        return "too-large"
    if b"\x00" in head[:SNIFF_BYTES]:
        return "binary"
    top = head[:1024].lower()
    if _GENERATED_NAME.search(os.path.basename(path)) or any(mark in top for mark in _GENERATED_MARKS):
        return "generated"
    return ""


def read_for_index(path: str, size: int, max_bytes: int) -> tuple[bytes, str]:
    """The file's bytes and "" , or ``b""`` and why it is skipped ("unreadable: ..." on OS errors)."""
    if size > max_bytes:
        return b"", "too-large"
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        return b"", "missing"
    except OSError as exc:
        return b"", f"unreadable: {exc.strerror or exc}"
    reason = skip_reason(path, data, len(data), max_bytes)
    return (b"", reason) if reason else (data, "")
