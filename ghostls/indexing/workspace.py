"""The workspace index: build it (in parallel), keep it current, answer look-ups.

``WorkspaceIndex`` serves one folder with its own SQLite file; ``Workspaces`` is what the server
exposes as ``server.index``: every folder's index behind the one ``SymbolIndex`` interface.  Both
answer look-ups at any time, including while a build is running (they see what is written so far).
Nothing here knows about LSP.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from ghostls.indexing import worker
from ghostls.indexing.files import Candidate, walk
from ghostls.indexing.languages import LanguageSpec, spec_for
from ghostls.indexing.model import Definition, Import, Scope
from ghostls.indexing.store import DIRTY, IndexStore, database_path
from ghostls.indexing.symbols import FileSymbols

log = logging.getLogger(__name__)

# Below this much work a process pool costs more to start than it saves.
POOL_MIN_FILES = 64
POOL_MIN_BYTES = 2 * 1024 * 1024
BATCH_BYTES = 256 * 1024  # work per pool task
WRITE_FILES = 200  # files per write transaction during a build
SCOPE_KINDS = frozenset({"function", "method", "class", "struct", "interface", "enum", "trait", "namespace",
                         "module", "constructor", "record", "union", "impl"})

Progress = Callable[[int, int, str], None]  # (files done, files to do, message)


@dataclass
class BuildStats:
    root: str
    files_seen: int = 0
    parsed: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    workers: int = 1

    def as_dict(self) -> dict[str, object]:
        return {"root": self.root, "filesSeen": self.files_seen, "parsed": self.parsed, "unchanged": self.unchanged,
                "removed": self.removed, "skipped": dict(self.skipped), "seconds": round(self.seconds, 3),
                "workers": self.workers}


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class WorkspaceIndex:
    """One workspace folder's index."""

    def __init__(self, root: str, *, cache_dir: str = "", max_file_kb: int = 1024, exclude: Sequence[str] = (),
                 workers: int = 0, on_problem: Callable[[str], None] | None = None) -> None:
        self.root = os.path.abspath(root)
        self.max_bytes = max_file_kb * 1024
        self.exclude = tuple(exclude)
        self.workers = workers or default_workers()
        self.store = IndexStore(database_path(self.root, cache_dir or None), on_problem)
        self.built = threading.Event()
        self.last_build: BuildStats | None = None
        self._build_lock = threading.Lock()
        self._closed = False
        self._pool: ProcessPoolExecutor | None = None
        self._recorded: set[str] = set()

    def owns(self, path: str) -> bool:
        return path == self.root or path.startswith(self.root + os.sep)

    # -- building ----------------------------------------------------------------------------------

    def build(self, progress: Progress | None = None) -> BuildStats:
        """Bring the index up to date with the disk: parse only new and changed files."""
        with self._build_lock:
            stats = self._build(progress or (lambda done, total, message: None))
            self.last_build = stats
            self.built.set()
            return stats

    def _build(self, progress: Progress) -> BuildStats:
        started = time.perf_counter()
        stats = BuildStats(self.root)
        known = self.store.file_states()
        todo: list[Candidate] = []
        present: set[str] = set()
        for cand in walk(self.root, self.exclude):
            present.add(cand.path)
            old = known.get(cand.path)
            if old is not None and old[0] == cand.size and old[1] == cand.mtime_ns and (
                    (old[2] == "too-large") == (cand.size > self.max_bytes)):  # the size limit may have changed
                stats.unchanged += 1
                continue
            todo.append(cand)
        stats.files_seen = len(present)
        gone = [path for path in known if path not in present]
        self.store.remove(gone)
        stats.removed = len(gone)
        progress(0, len(todo), f"{len(todo)} files to index")
        if todo:
            self._parse_all(todo, stats, progress)
        stats.seconds = time.perf_counter() - started
        log.info("index of %s: %d files seen, %d parsed, %d unchanged, %d removed, skipped %s in %.2fs (%d workers)",
                 self.root, stats.files_seen, stats.parsed, stats.unchanged, stats.removed, stats.skipped,
                 stats.seconds, stats.workers)
        return stats

    def _parse_all(self, todo: list[Candidate], stats: BuildStats, progress: Progress) -> None:
        todo.sort(key=lambda c: c.size, reverse=True)  # big files first: the pool's tail stays short
        total = len(todo)
        done = 0
        unwritten: list[worker.FileResult] = []

        def flush() -> None:
            if unwritten:
                self.store.write(unwritten)  # one transaction for many files: commits are the cost
                unwritten.clear()

        self._recorded = set()

        def record(results: list[worker.FileResult]) -> None:
            nonlocal done
            unwritten.extend(results)
            self._recorded.update(result[0] for result in results)
            if len(unwritten) >= WRITE_FILES or done + len(results) >= total:
                flush()
            for result in results:
                status = result[4]
                if status == "missing":  # deleted since the walk saw it
                    stats.removed += 1
                elif status:
                    key = status.split(":", 1)[0]
                    stats.skipped[key] = stats.skipped.get(key, 0) + 1
                else:
                    stats.parsed += 1
            done += len(results)
            progress(done, total, f"{done}/{total} files")

        total_bytes = sum(c.size for c in todo)
        use_pool = self.workers > 1 and (len(todo) >= POOL_MIN_FILES or total_bytes >= POOL_MIN_BYTES)
        if use_pool:
            stats.workers = self.workers
            try:
                self._parse_in_pool(_batches(todo, BATCH_BYTES), record)
                todo = []
            except (BrokenProcessPool, OSError) as exc:  # workers did not start or died: go on here
                log.warning("index worker processes failed (%s); indexing the rest in-process", exc)
                todo = [c for c in todo if c.path not in self._recorded]
        if todo and not self._closed:
            if not use_pool:
                stats.workers = 1
            batch: list[worker.FileResult] = []
            for cand in todo:
                if self._closed:
                    break
                batch.append(worker.index_file(cand.path, cand.size, cand.mtime_ns, self.max_bytes))
                if len(batch) >= 32:
                    record(batch)
                    batch = []
            if batch:
                record(batch)
        flush()

    def _parse_in_pool(self, batches: list[list[tuple[str, int, int]]],
                       record: Callable[[list[worker.FileResult]], None]) -> None:
        """Parse ``batches`` in worker processes, recording results as they come."""
        context = multiprocessing.get_context("spawn")  # fork is unsafe in a threaded server
        with ProcessPoolExecutor(self.workers, mp_context=context) as pool:
            self._pool = pool
            try:
                pending: set[Future] = set()
                queue = iter(batches)
                for batch in queue:  # keep every worker busy, a few tasks ahead, without queueing all at once
                    pending.add(pool.submit(worker.index_files, batch, self.max_bytes))
                    if len(pending) >= self.workers * 3:
                        break
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        if self._closed:
                            pool.shutdown(wait=False, cancel_futures=True)
                            return
                        batch_results = future.result()
                        nxt = next(queue, None)
                        if nxt is not None:
                            pending.add(pool.submit(worker.index_files, nxt, self.max_bytes))
                        record(batch_results)
            finally:
                self._pool = None

    def refresh(self, paths: Iterable[str]) -> None:
        """Re-index these files from disk (created, changed, saved or deleted ones)."""
        results = []
        for path in paths:
            path = os.path.abspath(path)
            if not self.owns(path) or spec_for(path=path) is None:
                continue
            try:
                st = os.stat(path)
            except OSError:
                results.append((path, 0, 0, "", "missing", [], []))
                continue
            results.append(worker.index_file(path, st.st_size, st.st_mtime_ns, self.max_bytes))
        if results:
            self.store.write(results)

    def update_symbols(self, path: str, symbols: FileSymbols, language: str) -> None:
        """Index an open document's current (maybe unsaved) symbols; marked dirty so a restart re-reads disk."""
        if not self.owns(path):
            return
        self.store.write([(path, DIRTY, DIRTY, language, "",
                           [worker.definition_row(d) for d in symbols.definitions],
                           [worker.import_row(i) for i in symbols.imports])])

    def cancel(self) -> None:
        """Stop a running build soon (what it wrote stays; the next build picks up the rest)."""
        self._closed = True

    def close(self) -> None:
        self._closed = True
        pool = self._pool
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        self.store.close()

    # -- look-ups (SymbolIndex) --------------------------------------------------------------------

    def lookup(self, name: str, limit: int = 50) -> list[Definition]:
        return self.store.lookup(name, limit)

    def lookup_prefix(self, prefix: str, limit: int = 50) -> list[Definition]:
        return self.store.lookup_prefix(prefix, limit)

    def search(self, query: str, limit: int = 100) -> list[Definition]:
        return self.store.search(query, limit)

    def definitions_in(self, path: str) -> list[Definition]:
        return self.store.definitions_in(path)

    def imports_of(self, path: str) -> list[Import]:
        return self.store.imports_of(path)

    def scopes_at(self, path: str, line: int, column: int = 0) -> list[Scope]:
        """Enclosing functions/classes at (line, code-point column), outermost first."""
        scopes = []
        for d in self.store.scopes_at(path, line):
            if d.kind not in SCOPE_KINDS:
                continue
            if (d.start_line, d.start_col) <= (line, column) <= (d.end_line, d.end_col):
                scopes.append(Scope(d.name, d.kind, d.start_line, d.end_line, d.signature))
        return scopes

    def imported_definitions(self, path: str, limit: int = 200) -> list[Definition]:
        spec = spec_for(path=path)
        found: list[Definition] = []
        seen: set[tuple[str, int, str]] = set()
        for imp in self.imports_of(path):
            files = self._module_files(imp, spec) if spec is not None else []
            names = [n for n in imp.names if n not in ("*", "default", "self")]
            if files:
                batch = self.store.definitions_in_files(files, names if names else (), limit=limit)
                submodules = [f for f in files if names and _module_stem(f) in names]  # from pkg import mod
                if submodules:
                    batch += self.store.definitions_in_files(submodules, limit=limit)
            else:
                batch = [d for n in names for d in self.store.lookup(n, 5) if not d.container]
            for d in batch:
                key = (d.path, d.start_line, d.name)
                if key not in seen and d.path != path:
                    seen.add(key)
                    found.append(d)
            if len(found) >= limit:
                break
        return found[:limit]

    def _module_files(self, imp: Import, spec: LanguageSpec) -> list[str]:
        here = os.path.dirname(imp.path)
        local, suffixes = _module_paths(imp, spec.name, here)
        files = [p for p in local if os.path.isfile(p) and self.owns(p)]
        if not files and suffixes:
            files = self.store.paths_ending_with(suffixes)
        return files

    def read_source(self, definition: Definition, max_lines: int = 40, text: str | None = None) -> str:
        return source_of(definition, max_lines, text)

    def stats(self) -> dict[str, object]:
        return self.store.stats()


def source_of(definition: Definition, max_lines: int = 40, text: str | None = None) -> str:
    """A definition's text (from ``text`` when given, else from disk), cut at ``max_lines``."""
    if text is None:
        try:
            with open(definition.path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            return definition.signature
    lines = text.splitlines()[definition.start_line:definition.end_line + 1][:max_lines]
    if lines:
        lines[0] = lines[0][definition.start_col:]
    return "\n".join(lines)


def _module_stem(path: str) -> str:
    stem = os.path.splitext(os.path.basename(path))[0]
    return os.path.basename(os.path.dirname(path)) if stem in ("__init__", "index", "mod") else stem


def _batches(todo: list[Candidate], budget: int) -> list[list[tuple[str, int, int]]]:
    batches: list[list[tuple[str, int, int]]] = []
    current: list[tuple[str, int, int]] = []
    size = 0
    for cand in todo:
        current.append((cand.path, cand.size, cand.mtime_ns))
        size += cand.size
        if size >= budget:
            batches.append(current)
            current, size = [], 0
    if current:
        batches.append(current)
    return batches


_JS_EXTENSIONS = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".d.ts")


def _module_paths(imp: Import, language: str, here: str) -> tuple[list[str], list[str]]:
    """Files an import may name: paths to try next to the importer, and path suffixes to find anywhere."""
    module = imp.module
    if language == "python":
        stripped = module.lstrip(".")
        dots = len(module) - len(stripped)
        parts = [p for p in stripped.split(".") if p]
        candidates = [parts] + [parts + [n] for n in imp.names if n and n != "*"]
        local: list[str] = []
        suffixes: list[str] = []
        base = here
        for _ in range(max(0, dots - 1)):
            base = os.path.dirname(base)
        for parts_ in candidates:
            if not parts_:
                if dots:
                    local.append(os.path.join(base, "__init__.py"))
                continue
            rel = os.path.join(*parts_)
            if dots:
                local += [os.path.join(base, rel + ".py"), os.path.join(base, rel, "__init__.py")]
            else:
                suffixes += [os.sep + rel + ".py", os.sep + os.path.join(rel, "__init__.py")]
        return local, suffixes
    if language in ("javascript", "typescript", "tsx"):
        if not module.startswith("."):
            return [], []
        base = os.path.normpath(os.path.join(here, module))
        local = [base] + [base + ext for ext in _JS_EXTENSIONS] + [os.path.join(base, "index" + ext)
                                                                    for ext in _JS_EXTENSIONS]
        stem, ext = os.path.splitext(base)
        if ext in (".js", ".mjs", ".cjs"):  # TypeScript imports name the compiled file
            local += [stem + ".ts", stem + ".tsx"]
        return local, []
    if language in ("c", "cpp"):
        return [os.path.join(here, module)], [os.sep + module]
    if language == "java":
        rel = module.replace(".", os.sep)
        names = [n for n in imp.names if n != "*"]
        if names:
            return [], [os.sep + os.path.join(rel, n + ".java") for n in names]
        return [], [os.sep + rel + ".java"]
    if language == "rust":
        parts = [p for p in module.split("::") if p not in ("crate", "self", "super")]
        if not parts:
            return [], []
        rel = os.path.join(*parts)
        return [], [os.sep + rel + ".rs", os.sep + os.path.join(rel, "mod.rs")]
    if language == "go":
        tail = module.rstrip("/").split("/")[-1]
        return [], [os.sep + tail + os.sep] if tail else []
    return [], []


class Workspaces:
    """Every workspace folder's index behind one ``SymbolIndex`` (what the server calls ``index``).

    ``text_of(path)`` gives an open document's current text (for ``read_source``); folders may be
    added while look-ups run.
    """

    def __init__(self, text_of: Callable[[str], str | None] | None = None) -> None:
        self._indexes: list[WorkspaceIndex] = []
        self._lock = threading.Lock()
        self.text_of = text_of or (lambda path: None)

    @property
    def folders(self) -> list[WorkspaceIndex]:
        return list(self._indexes)

    def add(self, index: WorkspaceIndex) -> WorkspaceIndex:
        with self._lock:
            self._indexes = [*self._indexes, index]
        return index

    def remove(self, root: str) -> None:
        with self._lock:
            keep = [i for i in self._indexes if i.root != os.path.abspath(root)]
            dropped = [i for i in self._indexes if i.root == os.path.abspath(root)]
            self._indexes = keep
        for index in dropped:
            index.close()

    def owner(self, path: str) -> WorkspaceIndex | None:
        best = None
        for index in self._indexes:
            if index.owns(path) and (best is None or len(index.root) > len(best.root)):
                best = index
        return best

    @property
    def ready(self) -> bool:
        return all(i.built.is_set() for i in self._indexes)

    def wait_built(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        for index in self._indexes:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not index.built.wait(remaining):
                return False
        return True

    def _merged(self, fetch: Callable[[WorkspaceIndex], list[Definition]], limit: int) -> list[Definition]:
        out: list[Definition] = []
        for index in self._indexes:
            out.extend(fetch(index))
            if len(out) >= limit:
                break
        return out[:limit]

    def lookup(self, name: str, limit: int = 50) -> list[Definition]:
        return self._merged(lambda i: i.lookup(name, limit), limit)

    def lookup_prefix(self, prefix: str, limit: int = 50) -> list[Definition]:
        return self._merged(lambda i: i.lookup_prefix(prefix, limit), limit)

    def search(self, query: str, limit: int = 100) -> list[Definition]:
        return self._merged(lambda i: i.search(query, limit), limit)

    def definitions_in(self, path: str) -> list[Definition]:
        index = self.owner(path)
        return index.definitions_in(path) if index else []

    def imports_of(self, path: str) -> list[Import]:
        index = self.owner(path)
        return index.imports_of(path) if index else []

    def imported_definitions(self, path: str, limit: int = 200) -> list[Definition]:
        index = self.owner(path)
        return index.imported_definitions(path, limit) if index else []

    def scopes_at(self, path: str, line: int, column: int = 0) -> list[Scope]:
        index = self.owner(path)
        return index.scopes_at(path, line, column) if index else []

    def read_source(self, definition: Definition, max_lines: int = 40) -> str:
        return source_of(definition, max_lines, self.text_of(definition.path))

    def refresh(self, paths: Iterable[str]) -> None:
        by_owner: dict[int, list[str]] = {}
        for path in paths:
            index = self.owner(path)
            if index is not None:
                by_owner.setdefault(id(index), []).append(path)
        for index in self._indexes:
            if id(index) in by_owner:
                index.refresh(by_owner[id(index)])

    def update_symbols(self, path: str, symbols: FileSymbols, language: str) -> None:
        index = self.owner(path)
        if index is not None:
            index.update_symbols(path, symbols, language)

    def close(self) -> None:
        with self._lock:
            indexes, self._indexes = self._indexes, []
        for index in indexes:
            index.close()
