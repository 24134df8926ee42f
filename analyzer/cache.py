"""Results that never change for the same input, kept in SQLite under the user cache dir.

Keys are content addresses (a git blob or tree id, a tarball's sha256) plus the analyzer
fingerprint (tool version, every query file and the analyzer's code), so an entry is never
stale: a changed query, a code change or a new release of siganalyze simply misses. Two runs may share the file (WAL,
one transaction per write); a file SQLite cannot read is moved aside and rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from analyzer import resources

_BUSY_SECONDS = 5.0


def _retry(action: Callable[[], object], attempts: int = 5) -> None:
    """Run `action`, again after a pause while another connection holds the lock."""
    for attempt in range(attempts):
        try:
            action()
            return
        except sqlite3.OperationalError as exc:
            busy = "locked" in str(exc) or "busy" in str(exc)
            if not busy or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def _prepare(db: sqlite3.Connection) -> sqlite3.Connection:
    """WAL mode, the table, and a read that fails now if the file is no database."""
    _retry(lambda: db.execute("PRAGMA journal_mode=WAL"))
    _retry(lambda: db.execute(_SCHEMA))
    _retry(lambda: db.execute("SELECT count(*) FROM results WHERE kind = ''").fetchone())
    db.isolation_level = "DEFERRED"  # transactions from here on (`with db:`)
    return db


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS results"
    " (kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, key))"
)


def default_path() -> Path | None:
    """$XDG_CACHE_HOME/siganalyze/results.sqlite; None when SIGANALYZE_NO_CACHE is set."""
    if os.environ.get("SIGANALYZE_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "siganalyze" / "results.sqlite"


def cache_key(*parts: str) -> str:
    """A key from its parts and the analyzer fingerprint."""
    digest = hashlib.sha256(resources.fingerprint().encode())
    for part in parts:
        digest.update(b"\0" + part.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


class ResultCache:
    """Get and put JSON text by (kind, key); a no-op when constructed without a path."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.hits = self.misses = 0
        self._db: sqlite3.Connection | None = None
        if path is not None:
            self._db = self._open(path)

    def get_many(self, kind: str, keys: Iterable[str]) -> dict[str, str]:
        """The stored values of those keys that are stored."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, str] = {}
        if self._db is not None:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._query(
                    f"SELECT key, value FROM results WHERE kind = ? AND key IN ({marks})", [kind, *chunk]
                )
                found.update(rows)
        self.hits += len(found)
        self.misses += len(wanted) - len(found)
        return found

    def get(self, kind: str, key: str) -> str | None:
        """One stored value, or None."""
        return self.get_many(kind, [key]).get(key)

    def put_many(self, kind: str, items: dict[str, str]) -> None:
        """Store values in one transaction; a busy or read-only cache is not an error."""
        if self._db is None or not items:
            return
        rows = [(kind, key, value) for key, value in items.items()]
        db = self._db

        def write() -> None:
            with db:
                db.executemany("INSERT OR REPLACE INTO results (kind, key, value) VALUES (?, ?, ?)", rows)

        # Another run holding the lock throughout only means these results are not kept.
        with contextlib.suppress(sqlite3.OperationalError):
            _retry(write)

    def close(self) -> None:
        """Close the database (checkpointing its write-ahead log)."""
        if self._db is not None:
            self._db.close()
            self._db = None

    def put(self, kind: str, key: str, value: str) -> None:
        """Store one value."""
        self.put_many(kind, {key: value})

    def _query(self, sql: str, params: list[str]) -> list[tuple[str, str]]:
        assert self._db is not None
        try:
            return list(self._db.execute(sql, params))
        except sqlite3.OperationalError:
            return []  # busy past the timeout: a miss, not a reason to doubt the file
        except sqlite3.DatabaseError:
            self._db = self._open(self._move_aside(self.path))
            return []

    def _open(self, path: Path) -> sqlite3.Connection | None:
        """Open (creating) the cache; move a corrupt file aside and start afresh.

        A locked database is another run at work, never corruption: only errors that say
        the file is not a database (or is malformed) move it aside.
        """
        for attempt in range(2):
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                return _prepare(sqlite3.connect(path, timeout=_BUSY_SECONDS, isolation_level=None))
            except sqlite3.OperationalError:
                break  # still busy after retrying: run without a cache rather than wait
            except sqlite3.DatabaseError:
                if attempt:
                    break
                path = self._move_aside(path)
            except OSError:
                break
        return None  # no cache rather than no answer

    def _move_aside(self, path: Path | None) -> Path:
        """Rename a corrupt cache file (and its WAL files), saying so; return the fresh path."""
        assert path is not None
        aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{path}{suffix}")
            if source.exists():
                source.replace(Path(f"{aside}{suffix}"))
        print(f"siganalyze: warning: cache {path} could not be read; moved aside to {aside}", file=sys.stderr)
        return path
