"""The spool: an append-only JSON-lines file of records waiting for the database, shared by the
gap store (:mod:`bot.gaps.store`) and the question log (:mod:`bot.questions.store`), with the
dead-letter file for records the database refuses (:func:`transient` tells the two apart)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.gaps.model import GapRecord

log = logging.getLogger("bot.gaps.store")


def transient(exc: BaseException) -> bool:
    """Whether a write failed because the database is away (retry later) rather than because it
    refuses the record (a retry would fail the same way)."""
    return isinstance(
        exc, (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError, OSError)
    )


class Spool:
    """An append-only JSON-lines file of records waiting for the database, safe across processes.

    ``decode`` turns a line's JSON back into a record (gap records by default; the question log
    has its own spool, :mod:`bot.questions.store`); a record has ``uid`` and ``to_json()``."""

    def __init__(self, path: Path, decode: Callable[[dict[str, Any]], Any] | None = None) -> None:
        self.path = path
        self._decode = decode or GapRecord.from_json
        self._thread_lock = threading.RLock()

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the spool exclusively (threads of this process and other processes)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._thread_lock, open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def append(self, record: Any) -> None:
        line = json.dumps(record.to_json(), ensure_ascii=False) + "\n"
        with self.locked():
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)

    def write_or_keep(self, write: Callable[[], Any], record: Any, what: str) -> bool:
        """``write()`` (storing ``record``); else keep the record here (database away) or in the
        dead letters (refused). True if written."""
        try:
            write()
        except Exception as exc:
            if not transient(exc):
                self.dead_letter(record, exc)
                return False
            log.warning("%s unavailable (%s); record spooled", what, type(exc).__name__)
            self.append(record)
            return False
        return True

    def pending(self) -> bool:
        try:
            return self.path.stat().st_size > 0
        except FileNotFoundError:
            return False

    def read(self) -> list[Any]:
        """The spooled records (call with the lock held); an unreadable line is kept aside."""
        if not self.pending():
            return []
        records = []
        for number, line in enumerate(self.path.read_text("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append(self._decode(json.loads(line)))
            except (ValueError, TypeError, KeyError):
                log.error("spool line %d is not a record; moved to %s.bad", number, self.path)
                with open(self.path.with_suffix(".bad"), "a", encoding="utf-8") as bad:
                    bad.write(line + "\n")
        return records

    def dead_letter(self, record: Any, exc: BaseException) -> None:
        """Keep a record the database refused beside the spool, for staff to look at (one
        appended line: no lock needed, and the replay already holds the spool's)."""
        log.error(
            "record %s refused by the database (%s); kept in %s.dead",
            record.uid,
            type(exc).__name__,
            self.path,
        )
        line = json.dumps(record.to_json(), ensure_ascii=False) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
        fd = os.open(self.path.with_suffix(".dead"), flags, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)

    def clear(self) -> None:
        """Empty the spool (call with the lock held)."""
        with open(self.path, "w", encoding="utf-8"):
            pass
