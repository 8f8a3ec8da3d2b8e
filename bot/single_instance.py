"""SQLite serves one `properbot run` at a time: a lock file beside the database proves it."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

from models.db import normalize_url


class AnotherInstanceRunning(RuntimeError):
    """Another process holds the lock file of this SQLite database."""

    def __init__(self, lock_path: Path, holder: str) -> None:
        super().__init__(f"{lock_path} is held by {holder or 'another process'}")
        self.lock_path = lock_path
        self.holder = holder


def lock_path_for(database_url: str) -> Path | None:
    """`<database>.lock` for a SQLite file; None for PostgreSQL or an in-memory database."""
    url = make_url(normalize_url(database_url))
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    return Path(database).with_name(Path(database).name + ".lock")


class SingleInstanceLock:
    """An exclusive flock() on the lock file, held while the process lives.

    The kernel releases it when the process ends, however it ends (kill -9 included), so a
    stale file never blocks a restart; the pid written in it only helps the operator."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            raise AnotherInstanceRunning(self.path, holder) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
