"""The workspace's code windows and their similarity indexes, kept up to date off the request path.

Files are added and removed as the workspace changes; the indexes are rebuilt in a background
thread when something changed, and queries use the newest finished index meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time

from ghostls.context.similarity import Bm25Index, JaccardIndex
from ghostls.context.windows import Window, split_windows

log = logging.getLogger(__name__)


class WindowCorpus:
    def __init__(self, window_lines: int = 10) -> None:
        self.window_lines = window_lines
        self._files: dict[str, list[Window]] = {}
        self._lock = threading.Lock()
        self._version = 0
        self._built_version = -1
        self._building = False
        self._bm25: Bm25Index | None = None
        self._jaccard: JaccardIndex | None = None

    def __len__(self) -> int:
        return len(self._files)

    def paths(self) -> list[str]:
        return list(self._files)

    def set_file(self, path: str, text: str) -> None:
        windows = split_windows(path, text, self.window_lines)
        with self._lock:
            self._files[path] = windows
            self._version += 1

    def remove(self, path: str) -> None:
        with self._lock:
            if self._files.pop(path, None) is not None:
                self._version += 1

    def rebuild(self) -> None:
        """Build the indexes now (in this thread) from the files as they are."""
        with self._lock:
            version = self._version
            windows = [w for ws in self._files.values() for w in ws]
        started = time.perf_counter()
        bm25, jaccard = Bm25Index(windows), JaccardIndex(windows)
        with self._lock:
            if version >= self._built_version:
                self._bm25, self._jaccard, self._built_version = bm25, jaccard, version
        log.debug("context corpus: %d windows of %d files indexed in %.0f ms", len(windows), len(self._files),
                  (time.perf_counter() - started) * 1000)

    def _refresh(self) -> None:
        with self._lock:
            if self._building or self._built_version == self._version:
                return
            self._building = True

        def work() -> None:
            try:
                self.rebuild()
            except Exception:
                log.exception("building the context corpus failed")
            finally:
                with self._lock:
                    self._building = False

        threading.Thread(target=work, name="ghostls-context-corpus", daemon=True).start()

    def bm25(self) -> Bm25Index | None:
        """The newest finished BM25 index (starting a rebuild when the files changed)."""
        self._refresh()
        return self._bm25

    def jaccard(self) -> JaccardIndex | None:
        self._refresh()
        return self._jaccard
