"""The outbox of a rating device (the pad, the counter screen): every vote on disk until acknowledged.

A vote is committed (SQLite, ``synchronous=FULL``: the commit returns after fsync) *before* it is published, and
removed only when its acknowledgement arrives, whatever the outcome (counted, duplicate, misuse, unbound). A power
cut, a kill -9 or a broker down for hours loses nothing: what is in the file is sent again, and the coordinator is
idempotent on the vote's id, so it is counted once.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import uuid
from collections.abc import Collection, Iterable
from pathlib import Path

from motcua.contract import RatingVote
from motcua.errors import MotcuaError

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS votes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    payload    BLOB NOT NULL,
    pressed_at TEXT NOT NULL
);
"""


class OutboxError(MotcuaError, OSError):
    """The outbox file cannot be opened or written."""


class Outbox:
    """Unacknowledged votes, oldest first. Thread-safe (one lock; the pad has one writer anyway)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA cache_size=-256")  # 256 KiB: a few thousand votes at most, on a 512 MB Pi
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise OutboxError(f"cannot open the vote outbox {self.path}: {exc}") from exc
        self._lock = threading.Lock()
        self._closed = False

    def add(self, votes: Iterable[RatingVote]) -> int:
        """Store `votes` in one transaction; returns once they are on disk (one fsync for the batch)."""
        rows = [(str(v.id), v.to_bytes(), v.pressed_at.isoformat()) for v in votes]
        if not rows:
            return 0
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany("INSERT OR IGNORE INTO votes (id, payload, pressed_at) VALUES (?, ?, ?)", rows)
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise OutboxError(f"cannot write to the vote outbox {self.path}: {exc}") from exc
        return len(rows)

    def remove(self, ids: Iterable[uuid.UUID | str]) -> int:
        """Forget acknowledged votes; returns how many were still here."""
        keys = [(str(i),) for i in ids]
        if not keys:
            return 0
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                before = self._db.total_changes
                self._db.executemany("DELETE FROM votes WHERE id = ?", keys)
                removed = self._db.total_changes - before
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise OutboxError(f"cannot update the vote outbox {self.path}: {exc}") from exc
        return removed

    def pending(self, limit: int, *, exclude: Collection[str] = ()) -> list[tuple[str, bytes]]:
        """Up to `limit` stored votes (id, payload), oldest first, leaving out the ids in `exclude`."""
        result: list[tuple[str, bytes]] = []
        with self._lock:
            cursor = self._db.execute("SELECT id, payload FROM votes ORDER BY seq")
            for vote_id, payload in cursor:
                if vote_id in exclude:
                    continue
                result.append((vote_id, bytes(payload)))
                if len(result) >= limit:
                    break
            cursor.close()
        return result

    def ids(self) -> set[str]:
        with self._lock:
            return {row[0] for row in self._db.execute("SELECT id FROM votes")}

    def __len__(self) -> int:
        with self._lock:
            count: int = self._db.execute("SELECT count(*) FROM votes").fetchone()[0]
            return count

    def close(self) -> None:
        """Safe to call twice."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()

    def _rollback(self) -> None:
        try:
            self._db.execute("ROLLBACK")
        except sqlite3.Error:
            pass
