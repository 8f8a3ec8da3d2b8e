"""SQLite calls on the event loop's own thread, for SQLAlchemy's aiosqlite dialect.

aiosqlite runs every call (execute, fetch, close, commit) on a worker thread of its own and
hands the result back through the event loop: about four thread hops per statement, each a
queue, a wake-up of the loop and a GIL handover. On a local file a statement itself takes
microseconds, so the hops were most of the database's cost: bench/updates.py spent about
half of properbot's CPU per update on them (docs/PERFORMANCE.md). Here the same calls run
inline, on the loop's thread.

The one thing SQLite waits for is another connection's write lock. SQLite's own busy handler
sleeps in C, which here would stop the event loop, and with it the very task that holds the
lock and would commit: so the connections run with busy_timeout 0 (models/db.py), and a
statement that finds the database busy is tried again after an asyncio sleep, until
BUSY_TIMEOUT_S. A busy statement has done nothing, so trying it again is safe; a stale
snapshot (SQLITE_BUSY_SNAPSHOT: this transaction read before another committed) cannot be
waited out and is raised at once, as SQLite's own handler would.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Generator
from typing import Any

import aiosqlite

# What busy_timeout was before: how long a statement waits for another writer.
BUSY_TIMEOUT_S = 5.0
FIRST_RETRY_S = 0.001
LONGEST_RETRY_S = 0.05
SQLITE_BUSY = 5  # the primary code; SQLITE_BUSY_SNAPSHOT (517) and others are not retried


class LoopThreadConnection(aiosqlite.Connection):
    """aiosqlite's connection with its calls made on the calling (event loop) thread.

    aiosqlite's cursors and methods all go through `_execute`; it is the one place the
    worker thread was used, so with `_connect` and `stop` it is the whole change. The worker
    thread aiosqlite prepares is never started.
    """

    def __await__(self) -> Generator[Any, None, LoopThreadConnection]:
        return self._connect().__await__()

    async def _connect(self) -> LoopThreadConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        deadline: float | None = None
        delay = FIRST_RETRY_S
        while True:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as exc:
                if getattr(exc, "sqlite_errorcode", None) != SQLITE_BUSY:
                    raise
                now = time.monotonic()
                if deadline is None:
                    deadline = now + BUSY_TIMEOUT_S
                if now >= deadline:
                    raise
                await asyncio.sleep(min(delay, deadline - now))
                delay = min(delay * 2, LONGEST_RETRY_S)

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def connect(database: str | bytes, *, iter_chunk_size: int = 64, **kwargs: Any) -> Any:
    """What `aiosqlite.connect` does, for a `LoopThreadConnection` (the dialect awaits it).

    SQLite's own busy wait is off (timeout 0, whatever the URL says): `_execute` waits instead.
    """
    location = database.decode() if isinstance(database, bytes) else str(database)
    kwargs["timeout"] = 0

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(location, **kwargs)

    return LoopThreadConnection(connector, iter_chunk_size)
