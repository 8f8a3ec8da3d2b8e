"""SQLite statements run on the event loop's thread, and a writer waits for another's lock
without stopping the loop (models/sqlite_inline.py)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from models import sqlite_inline
from models.db import create_engine

SQLITE_BUSY_SNAPSHOT = 517


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite:///{tmp_path}/inline.sqlite3")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)"))
    try:
        yield engine
    finally:
        await engine.dispose()


async def test_statements_run_on_the_event_loops_thread(sqlite_engine: AsyncEngine) -> None:
    def thread_function(dbapi_connection: object, _record: object) -> None:
        raw = dbapi_connection.driver_connection._connection  # type: ignore[attr-defined]
        raw.create_function("thread_ident", 0, threading.get_ident)

    await sqlite_engine.dispose()  # connections made from here on get the function
    event.listen(sqlite_engine.sync_engine, "connect", thread_function)
    threads_before = threading.active_count()
    async with sqlite_engine.connect() as connection:
        ran_on = await connection.scalar(text("SELECT thread_ident()"))
    assert ran_on == threading.get_ident()
    assert threading.active_count() == threads_before  # no worker thread per connection


async def test_sqlite_busy_wait_is_off_in_c(sqlite_engine: AsyncEngine) -> None:
    async with sqlite_engine.connect() as connection:
        assert await connection.scalar(text("PRAGMA busy_timeout")) == 0


async def test_a_writer_waits_for_another_writers_lock_while_the_loop_runs(
    sqlite_engine: AsyncEngine,
) -> None:
    """The holder of the lock commits while the other writer waits: a wait in C would stop
    the loop, the holder could never commit, and the second insert would fail after 5 s."""
    async with sqlite_engine.connect() as holder, sqlite_engine.connect() as waiter:
        await holder.execute(text("INSERT INTO item (name) VALUES ('first')"))  # lock held

        async def commit_soon() -> None:
            await asyncio.sleep(0.2)
            await holder.commit()

        started = time.monotonic()
        committer = asyncio.create_task(commit_soon())
        await waiter.execute(text("INSERT INTO item (name) VALUES ('second')"))
        await waiter.commit()
        waited = time.monotonic() - started
        await committer
        names = (await waiter.execute(text("SELECT name FROM item ORDER BY id"))).scalars()
        assert list(names) == ["first", "second"]
        assert 0.15 < waited < sqlite_inline.BUSY_TIMEOUT_S


async def test_a_lock_held_too_long_fails_the_waiter_and_the_loop_keeps_running(
    sqlite_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_inline, "BUSY_TIMEOUT_S", 0.3)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        async with sqlite_engine.connect() as holder, sqlite_engine.connect() as waiter:
            await holder.execute(text("INSERT INTO item (name) VALUES ('held')"))
            started = time.monotonic()
            with pytest.raises(OperationalError, match="database is locked"):
                await waiter.execute(text("INSERT INTO item (name) VALUES ('late')"))
            assert time.monotonic() - started >= 0.3
            await waiter.rollback()
            await holder.commit()
    finally:
        ticker.cancel()
    assert ticks >= 10  # the loop ran while the waiter waited


async def test_a_stale_snapshot_is_raised_at_once(sqlite_engine: AsyncEngine) -> None:
    """A transaction that read before another writer committed cannot write: waiting would
    not help (SQLITE_BUSY_SNAPSHOT), so it fails now, not after the busy timeout."""
    async with sqlite_engine.connect() as writer, sqlite_engine.connect() as reader:
        await reader.exec_driver_sql("BEGIN")
        await reader.execute(text("SELECT count(*) FROM item"))  # its snapshot
        await writer.execute(text("INSERT INTO item (name) VALUES ('meanwhile')"))
        await writer.commit()
        started = time.monotonic()
        with pytest.raises(OperationalError) as raised:
            await reader.execute(text("INSERT INTO item (name) VALUES ('stale')"))
        assert time.monotonic() - started < 1.0
        assert getattr(raised.value.orig, "sqlite_errorcode", None) == SQLITE_BUSY_SNAPSHOT
        await reader.rollback()


async def test_a_closed_connection_refuses_statements(tmp_path: Path) -> None:
    connection = await sqlite_inline.connect(str(tmp_path / "closed.sqlite3"))
    await connection.execute("SELECT 1")
    await connection.close()
    with pytest.raises(ValueError, match="connection"):
        await connection.execute("SELECT 1")
