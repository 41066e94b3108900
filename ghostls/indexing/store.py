"""The SQLite file that keeps one workspace's index between runs.

One database per workspace folder, under ``<cache>/index/``.  WAL mode: look-ups (one connection
per thread) read while the builder writes.  A database that is corrupt, from another schema
version, or locked by someone else is never fatal: it is rebuilt (or a private copy is used) and
``on_problem`` says so.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from ghostls.indexing.model import Definition, Import
from ghostls.indexing.worker import NAME_SEPARATOR, FileResult

log = logging.getLogger(__name__)

SCHEMA_VERSION = "3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files(
    id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL, language TEXT, size INTEGER, mtime_ns INTEGER,
    status TEXT, symbols INTEGER);
CREATE TABLE IF NOT EXISTS defs(
    file_id INTEGER NOT NULL, name TEXT NOT NULL, lname TEXT NOT NULL, kind TEXT,
    sl INTEGER, sc INTEGER, el INTEGER, ec INTEGER, container TEXT, signature TEXT, doc TEXT);
CREATE TABLE IF NOT EXISTS imports(file_id INTEGER NOT NULL, module TEXT, names TEXT, alias TEXT, line INTEGER);
CREATE INDEX IF NOT EXISTS defs_name ON defs(name);
CREATE INDEX IF NOT EXISTS defs_lname ON defs(lname);
CREATE INDEX IF NOT EXISTS defs_file ON defs(file_id);
CREATE INDEX IF NOT EXISTS imports_file ON imports(file_id);
"""
_DEF_COLUMNS = "d.name, d.kind, f.path, f.language, d.sl, d.sc, d.el, d.ec, d.container, d.signature, d.doc"
# Changed files: size/mtime that can never match a real file, so a restart re-reads them.
DIRTY = -1


def database_path(root: str, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where ``root``'s index lives: ``<cache>/index/<folder name>-<hash of the full path>.sqlite3``."""
    if cache_dir:
        base = Path(cache_dir).expanduser()
    else:
        from ghostls.providers.embedded import cache_root

        base = cache_root()
    real = os.path.realpath(root)
    digest = hashlib.sha1(real.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in os.path.basename(real))[:40] or "root"
    return base / "index" / f"{name}-{digest}.sqlite3"


class IndexStore:
    """Rows in, ``Definition``/``Import`` out.  Thread-safe (one writer at a time)."""

    busy_timeout_s = 2.0  # how long to wait for another process's lock before going private

    def __init__(self, path: Path, on_problem: Callable[[str], None] | None = None) -> None:
        self.requested_path = path
        self.path = path
        self._on_problem = on_problem or (lambda message: log.warning("%s", message))
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._generation = 0  # bumped when the file is replaced: thread connections reopen
        self._private = False
        self._open()

    # -- opening -----------------------------------------------------------------------------------

    def _connect(self, path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(str(path), timeout=self.busy_timeout_s, check_same_thread=False,
                               isolation_level=None)
        return conn

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._writer = self._prepare(self.path)
        except sqlite3.DatabaseError as exc:
            if not _is_locked(exc):
                self._on_problem(f"The index cache {self.path} was unreadable ({exc}); it was deleted "
                                 "and the index is being rebuilt.")
                _remove_database(self.path)
                self._writer = self._prepare(self.path)
                return
            private = self.path.with_name(f"{self.path.stem}.{os.getpid()}.sqlite3")
            self._on_problem(f"The index cache {self.path} is locked by another process; "
                             f"this session uses a private index in {private} (rebuilt from scratch).")
            self.path, self._private = private, True
            _remove_database(private)
            self._writer = self._prepare(private)

    def _prepare(self, path: Path) -> sqlite3.Connection:
        conn = self._connect(path)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            version = None
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "meta" in tables:
                row = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
                version = row[0] if row else None
            if tables and version != SCHEMA_VERSION:
                log.info("index schema %s != %s: starting afresh", version, SCHEMA_VERSION)
                conn.close()
                _remove_database(path)
                conn = self._connect(path)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,))
            conn.execute("SELECT count(*) FROM files").fetchone()
        except Exception:
            conn.close()
            raise
        self._generation += 1
        return conn

    def _reader(self) -> sqlite3.Connection:
        local = self._local
        if getattr(local, "generation", None) != self._generation:
            old = getattr(local, "conn", None)
            if old is not None:
                old.close()
            local.conn = self._connect(self.path)
            local.conn.execute("PRAGMA query_only=1")
            # Read through the OS page cache (mmap) with a modest private cache: look-ups stay in microseconds.
            local.conn.execute("PRAGMA mmap_size=268435456")
            local.conn.execute("PRAGMA cache_size=-16384")
            local.generation = self._generation
        return local.conn

    def _recover(self, exc: sqlite3.DatabaseError) -> None:
        """The file went bad while in use: start an empty one (the caller re-indexes)."""
        with self._write_lock:
            self._on_problem(f"The index cache {self.path} became unreadable ({exc}); rebuilding it.")
            try:
                self._writer.close()
            except sqlite3.Error:
                pass
            _remove_database(self.path)
            self._writer = self._prepare(self.path)

    def close(self) -> None:
        with self._write_lock:
            try:
                self._writer.close()
            except sqlite3.Error:
                pass
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        if self._private:
            _remove_database(self.path)

    # -- writing -----------------------------------------------------------------------------------

    def file_states(self) -> dict[str, tuple[int, int, str]]:
        """path -> (size, mtime_ns, status) of every file the index has seen."""
        rows = self._read("SELECT path, size, mtime_ns, status FROM files")
        return {path: (size, mtime, status) for path, size, mtime, status in rows}

    def write(self, results: Iterable[FileResult]) -> None:
        """Replace what the index holds for each file by its new result, in one transaction."""
        with self._write_lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                for path, size, mtime, language, status, def_rows, import_rows in results:
                    if status == "missing":
                        self._delete(conn, [path])
                        continue
                    (file_id,) = conn.execute(
                        "INSERT INTO files(path, language, size, mtime_ns, status, symbols) VALUES (?,?,?,?,?,?) "
                        "ON CONFLICT(path) DO UPDATE SET language=excluded.language, size=excluded.size, "
                        "mtime_ns=excluded.mtime_ns, status=excluded.status, symbols=excluded.symbols "
                        "RETURNING id", (path, language, size, mtime, status, len(def_rows))).fetchone()
                    conn.execute("DELETE FROM defs WHERE file_id=?", (file_id,))
                    conn.execute("DELETE FROM imports WHERE file_id=?", (file_id,))
                    if def_rows:
                        conn.executemany("INSERT INTO defs VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                                         [(file_id, r[0], r[0].lower(), *r[1:]) for r in def_rows])
                    if import_rows:
                        conn.executemany("INSERT INTO imports VALUES (?,?,?,?,?)",
                                         [(file_id, *r) for r in import_rows])
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def remove(self, paths: Sequence[str]) -> None:
        if not paths:
            return
        with self._write_lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._delete(conn, paths)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    @staticmethod
    def _delete(conn: sqlite3.Connection, paths: Sequence[str]) -> None:
        for path in paths:
            row = conn.execute("DELETE FROM files WHERE path=? RETURNING id", (path,)).fetchone()
            if row is not None:
                conn.execute("DELETE FROM defs WHERE file_id=?", row)
                conn.execute("DELETE FROM imports WHERE file_id=?", row)

    # -- reading -----------------------------------------------------------------------------------

    def _read(self, sql: str, args: Sequence[object] = ()) -> list[tuple]:
        try:
            return self._reader().execute(sql, args).fetchall()
        except sqlite3.OperationalError as exc:
            if _is_locked(exc):
                log.debug("index read skipped: %s", exc)
                return []
            raise

    def _definitions(self, where: str, args: Sequence[object], order: str = "", limit: int = -1) -> list[Definition]:
        sql = f"SELECT {_DEF_COLUMNS} FROM defs d JOIN files f ON f.id = d.file_id WHERE {where}"
        if order:
            sql += f" ORDER BY {order}"
        rows = self._read(sql + " LIMIT ?", (*args, limit))
        return [Definition(*row) for row in rows]

    def lookup(self, name: str, limit: int = 50) -> list[Definition]:
        return self._definitions("d.name = ?", (name,), "d.container != '', f.path, d.sl", limit)

    def lookup_prefix(self, prefix: str, limit: int = 50) -> list[Definition]:
        if not prefix:
            return self._definitions("1", (), "", limit)
        return self._definitions("d.name >= ? AND d.name < ?", (prefix, prefix + "\U0010ffff"), "d.name", limit)

    def search(self, query: str, limit: int = 100) -> list[Definition]:
        """Case-insensitive: names starting with ``query`` first, then names containing it."""
        q = query.lower()
        found = self._definitions("d.lname >= ? AND d.lname < ?", (q, q + "\U0010ffff"), "d.lname", limit)
        if len(found) < limit and q:
            pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            more = self._definitions("d.lname LIKE ? ESCAPE '\\' AND NOT (d.lname >= ? AND d.lname < ?)",
                                     (pattern, q, q + "\U0010ffff"), "", limit - len(found))
            found.extend(more)
        return found

    def definitions_in(self, path: str) -> list[Definition]:
        return self._definitions("f.path = ?", (path,), "d.sl, d.sc")

    def definitions_in_files(self, paths: Sequence[str], names: Sequence[str] = (), top_level: bool = True,
                             limit: int = 200) -> list[Definition]:
        if not paths:
            return []
        where = f"f.path IN ({','.join('?' * len(paths))})"
        args: list[object] = list(paths)
        if names:
            where += f" AND d.name IN ({','.join('?' * len(names))})"
            args.extend(names)
        if top_level:
            where += " AND d.container = ''"
        return self._definitions(where, args, "f.path, d.sl", limit)

    def scopes_at(self, path: str, line: int) -> list[Definition]:
        return self._definitions("f.path = ? AND d.sl <= ? AND d.el >= ?", (path, line, line), "d.sl, d.sc")

    def imports_of(self, path: str) -> list[Import]:
        rows = self._read("SELECT i.module, i.names, i.alias, i.line FROM imports i JOIN files f ON f.id = i.file_id "
                          "WHERE f.path = ? ORDER BY i.line", (path,))
        return [Import(path, module, tuple(names.split(NAME_SEPARATOR)) if names else (), alias, line)
                for module, names, alias, line in rows]

    def paths_ending_with(self, suffixes: Sequence[str], limit: int = 20) -> list[str]:
        """Indexed files whose path ends with one of ``suffixes`` (e.g. "/pkg/mod.py").

        A suffix ending in a separator names a directory ("/headers/"): the files directly in it
        (a Go package).
        """
        if not suffixes:
            return []
        where = " OR ".join("path LIKE ? ESCAPE '\\'" for _ in suffixes)
        args = ["%" + s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                + ("%" if s.endswith(os.sep) else "") for s in suffixes]
        rows = self._read(f"SELECT path FROM files WHERE status = '' AND ({where}) LIMIT ?", (*args, limit * 4))
        dirs = tuple(s for s in suffixes if s.endswith(os.sep))
        files = tuple(s for s in suffixes if not s.endswith(os.sep))
        found = [path for (path,) in rows
                 if path.endswith(files) or (os.path.dirname(path) + os.sep).endswith(dirs)]
        return found[:limit]

    def stats(self) -> dict[str, object]:
        files = self._read("SELECT count(*), coalesce(sum(size), 0) FROM files WHERE status = ''")
        skipped = self._read("SELECT status, count(*) FROM files WHERE status != '' GROUP BY status")
        languages = self._read("SELECT f.language, count(*) FROM defs d JOIN files f ON f.id = d.file_id "
                               "GROUP BY f.language")
        per_language_files = self._read("SELECT language, count(*) FROM files WHERE status = '' GROUP BY language")
        reasons: dict[str, int] = {}
        for status, count in skipped:
            key = status.split(":", 1)[0]
            reasons[key] = reasons.get(key, 0) + count
        return {
            "files": files[0][0] if files else 0,
            "bytes": files[0][1] if files else 0,
            "skipped": reasons,
            "symbols": sum(count for _, count in languages),
            "symbolsByLanguage": dict(sorted(languages)),
            "filesByLanguage": dict(sorted(per_language_files)),
            "cache": str(self.path),
        }


def _is_locked(exc: Exception) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.remove(f"{path}{suffix}")
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("could not remove %s%s: %s", path, suffix, exc)
