"""What the channels must remember across a restart, in one small SQLite file under ``var/``.

- Deliveries already handled (Messenger message ids, Telegram update ids), so that a platform's
  retry of the same delivery is answered once.
- Telegram button payloads too long for ``callback_data`` (64 bytes), stored under a short key.

Entries expire after ``ttl_s`` (default two days: both platforms stop retrying long before).
The store holds ids and intent payloads only, never user text.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

DEFAULT_TTL_S = 2 * 24 * 3600
_PURGE_EVERY = 500  # purge expired rows after this many writes

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS payloads (key TEXT PRIMARY KEY, payload TEXT NOT NULL,
                                     expires REAL NOT NULL);
"""


class ChannelStore:
    """Delivery de-duplication and long-payload mapping, persisted in SQLite."""

    def __init__(
        self,
        path: str | Path,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._writes = 0
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self.purge()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def first_delivery(self, key: str) -> bool:
        """Record ``key`` as handled; ``True`` the first time, ``False`` while it is remembered."""
        now = self._clock()
        with self._lock:
            self._db.execute("DELETE FROM seen WHERE key = ? AND expires <= ?", (key, now))
            cur = self._db.execute(
                "INSERT OR IGNORE INTO seen (key, expires) VALUES (?, ?)", (key, now + self.ttl_s)
            )
            inserted = cur.rowcount == 1
        self._count_write()
        return inserted

    def payload_key(self, payload: str, prefix: str = "p:") -> str:
        """A short, stable key for ``payload``, stored so that ``payload_for`` can map it back."""
        key = prefix + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO payloads (key, payload, expires) VALUES (?, ?, ?)",
                (key, payload, self._clock() + self.ttl_s),
            )
        self._count_write()
        return key

    def payload_for(self, key: str) -> str | None:
        """The payload stored under ``key``, or ``None`` if unknown or expired."""
        with self._lock:
            row = self._db.execute(
                "SELECT payload FROM payloads WHERE key = ? AND expires > ?", (key, self._clock())
            ).fetchone()
        return row[0] if row else None

    def purge(self) -> None:
        """Drop expired entries."""
        now = self._clock()
        with self._lock:
            self._db.execute("DELETE FROM seen WHERE expires <= ?", (now,))
            self._db.execute("DELETE FROM payloads WHERE expires <= ?", (now,))

    def _count_write(self) -> None:
        self._writes += 1
        if self._writes % _PURGE_EVERY == 0:
            self.purge()
