"""Keeps the workspace index alive in a running server: builds, refreshes, open-document updates.

All index work runs on one background thread (the cold build fans out to a process pool), so
the event loop only ever enqueues.  Knows nothing of LSP: the server passes callbacks for
progress and for telling the user.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

from ghostls.indexing.model import Definition
from ghostls.indexing.symbols import extract
from ghostls.indexing.trees import DocumentTrees
from ghostls.indexing.workspace import WorkspaceIndex, Workspaces

log = logging.getLogger(__name__)

DOCUMENT_UPDATE_DELAY_S = 0.4  # wait for typing to pause before re-indexing an open document


class Reporter(Protocol):
    def report(self, message: str, percent: int | None = None) -> None: ...
    def end(self, message: str = "") -> None: ...


def uri_to_path(uri: str) -> str:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri


class SerialWorker:
    """Runs submitted calls one after another on a daemon thread (an index build in progress
    must not keep a server that was told to exit alive, as a ThreadPoolExecutor thread would)."""

    def __init__(self, name: str) -> None:
        self._queue: queue.SimpleQueue[tuple[Future, Callable[..., Any], tuple[Any, ...]] | None] = queue.SimpleQueue()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        if self._stopped:
            raise RuntimeError("worker stopped")
        future: Future = Future()
        self._queue.put((future, fn, args))
        return future

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            future, fn, args = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as exc:
                future.set_exception(exc)

    def shutdown(self) -> None:
        self._stopped = True
        self._queue.put(None)


class IndexService:
    def __init__(self, trees: DocumentTrees, *, text_of: Callable[[str], str | None] | None = None,
                 notify: Callable[[str], None] | None = None,
                 progress: Callable[[str], Reporter] | None = None) -> None:
        self.trees = trees
        self.index = Workspaces(text_of)
        self._notify = notify or (lambda message: log.warning("%s", message))
        self._progress = progress
        self._executor = SerialWorker("ghostls-index")
        self._config: tuple[Any, ...] | None = None
        self._roots: list[str] = []
        self._pending_docs: set[str] = set()
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.last_build: Future | None = None
        self.last_update: Future | None = None  # the newest file/document update queued

    # -- configuration ---------------------------------------------------------------------------

    def configure(self, settings: Any, roots: Iterable[str]) -> Future | None:
        """Apply the ``index`` settings and workspace folders; (re)build what changed.

        Returns at once: opening databases and building happen on the index thread.
        """
        roots = [os.path.abspath(r) for r in roots if r and os.path.isdir(r)]
        config = (settings.enable, settings.cache_dir, settings.max_file_kb, tuple(settings.exclude),
                  getattr(settings, "workers", 0))
        if config == self._config and roots == self._roots:
            return None
        self._config, self._roots = config, roots
        for index in self.index.folders:
            index.cancel()  # a running build stops at its next batch
        self.last_build = self._submit(self._reconfigure, settings, roots)
        return self.last_build

    def _reconfigure(self, settings: Any, roots: list[str]) -> None:
        self.index.close()
        if not settings.enable:
            return
        opened = []
        for root in roots:
            try:
                opened.append(self.index.add(WorkspaceIndex(
                    root, cache_dir=settings.cache_dir, max_file_kb=settings.max_file_kb, exclude=settings.exclude,
                    workers=getattr(settings, "workers", 0), on_problem=self._notify)))
            except Exception as exc:
                self._notify(f"Could not open the index for {root}: {exc}. Code intelligence is off for it.")
        for index in opened:
            self._build(index)

    def _submit(self, fn: Callable[..., Any], *args: Any) -> Future | None:
        if self._closed:
            return None
        try:
            return self._executor.submit(self._guarded, fn, *args)
        except RuntimeError:  # shut down
            return None

    @staticmethod
    def _guarded(fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception:
            log.exception("index task failed")
            return None

    def _build(self, index: WorkspaceIndex) -> Any:
        reporter = self._progress(f"Indexing {os.path.basename(index.root) or index.root}") if self._progress else None
        last = [-1]

        def progress(done: int, total: int, message: str) -> None:
            percent = int(100 * done / total) if total else 100
            if reporter is not None and percent != last[0]:
                last[0] = percent
                reporter.report(message, percent)

        try:
            stats = index.build(progress)
        finally:
            if reporter is not None:
                reporter.end("index ready")
        for doc_uri in list(self._open_uris()):  # open documents may hold newer text than the disk
            self._update_document(doc_uri)
        return stats

    def _open_uris(self) -> Iterable[str]:
        return self.trees.uris()

    # -- events ----------------------------------------------------------------------------------

    def files_changed(self, uris: Iterable[str]) -> Future | None:
        """Created, changed, deleted or saved files: re-read them from disk."""
        paths = [uri_to_path(u) for u in uris]
        open_paths = {uri_to_path(u) for u in self._open_uris()}
        disk = [p for p in paths if p not in open_paths]
        futures = [self._submit(self.index.refresh, disk)] if disk else []
        for uri in uris:
            if uri_to_path(uri) in open_paths:
                futures.append(self._submit(self._update_document, uri))
        if futures:
            self.last_update = futures[-1]
        return futures[-1] if futures else None

    def document_closed(self, uri: str) -> Future | None:
        """A closed document's unsaved text is gone: index what is on disk."""
        self.last_update = self._submit(self.index.refresh, [uri_to_path(uri)])
        return self.last_update

    def document_changed(self, uri: str) -> None:
        """An open document changed: re-index it once typing pauses."""
        with self._lock:
            if self._closed:
                return
            self._pending_docs.add(uri)
            if self._timer is None:
                self._timer = threading.Timer(DOCUMENT_UPDATE_DELAY_S, self._flush_documents)
                self._timer.daemon = True
                self._timer.start()

    def _flush_documents(self) -> None:
        with self._lock:
            uris, self._pending_docs, self._timer = self._pending_docs, set(), None
        for uri in uris:
            self.last_update = self._submit(self._update_document, uri)

    def _update_document(self, uri: str) -> None:
        path = uri_to_path(uri)
        if self.index.owner(path) is None:
            return
        snap = self.trees.snapshot(uri)
        if snap is None:
            return
        tree, spec, source = snap
        self.index.update_symbols(path, extract(tree, source, spec, path), spec.name)

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every queued index task has run (for the CLI and tests)."""
        self._flush_documents()
        done = self._submit(lambda: None)
        if done is not None:
            done.result(timeout)

    # -- look-ups for LSP features -------------------------------------------------------------

    def document_definitions(self, uri: str) -> list[Definition] | None:
        """An open document's definitions from its live tree; None if it is not open / not parsed."""
        snap = self.trees.snapshot(uri)
        if snap is None:
            return None
        tree, spec, source = snap
        return extract(tree, source, spec, uri_to_path(uri)).definitions

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
        self.index.close()
        self._executor.shutdown()
