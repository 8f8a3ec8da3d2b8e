"""Pooled PostgreSQL connections: one that rested is pinged before use, so a connection the
server dropped meanwhile is replaced instead of failing the update that gets it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import models.db
from models.db import create_engine, session_factory


async def _pooled_backend_killed(engine: AsyncEngine, admin: AsyncEngine) -> int:
    """Use a connection, hand it back to the pool, then have the server end its backend."""
    async with engine.connect() as connection:
        pid = int(await connection.scalar(text("SELECT pg_backend_pid()")))
    async with admin.connect() as connection:
        await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    return pid


async def test_a_rested_connection_the_server_dropped_is_replaced_before_use(
    postgres_ready: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, admin = create_engine(postgres_ready), create_engine(postgres_ready)
    try:
        killed = await _pooled_backend_killed(engine, admin)
        monkeypatch.setattr(models.db, "PING_AFTER_IDLE_S", 0.0)  # it rested long enough
        async with session_factory(engine)() as session:
            now_serving = await session.scalar(text("SELECT pg_backend_pid()"))
        assert now_serving is not None and now_serving != killed
    finally:
        await engine.dispose()
        await admin.dispose()


async def test_a_connection_used_a_moment_ago_is_not_pinged(
    postgres_ready: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other side of the rule: without the ping, the dropped connection is used and fails
    (which is why a rested one is pinged), and the pool recovers on the next checkout."""
    engine, admin = create_engine(postgres_ready), create_engine(postgres_ready)
    try:
        await _pooled_backend_killed(engine, admin)
        monkeypatch.setattr(models.db, "PING_AFTER_IDLE_S", 3600.0)
        with pytest.raises(Exception):  # noqa: B017 - asyncpg's error class varies
            async with engine.connect() as connection:
                await connection.scalar(text("SELECT 1"))
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT 1")) == 1
    finally:
        await engine.dispose()
        await admin.dispose()


async def test_sqlite_connections_are_never_pinged(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/pool.sqlite3")
    try:
        pinged: list[object] = []
        original = engine.dialect.do_ping

        def counted_ping(dbapi_connection: object) -> bool:
            pinged.append(dbapi_connection)
            return original(dbapi_connection)  # type: ignore[arg-type]

        engine.dialect.do_ping = counted_ping  # type: ignore[method-assign]
        for _ in range(3):
            async with engine.connect() as connection:
                assert await connection.scalar(text("SELECT 1")) == 1
        assert pinged == []
    finally:
        await engine.dispose()
