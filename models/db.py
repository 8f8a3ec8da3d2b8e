"""Engine and session factory for SQLite (embedded) and PostgreSQL (deployments)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from models import sqlite_inline


class DatabaseUrlError(ValueError):
    """DATABASE_URL names no database this project can use."""


def normalize_url(url: str) -> str:
    """Pick the asyncio driver for plain URLs: sqlite:// -> aiosqlite, postgresql:// -> asyncpg."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUrlError(str(exc)) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if backend in ("postgresql", "postgres"):
        driver = parsed.get_driver_name()
        if driver in ("asyncpg", "psycopg"):
            return parsed.render_as_string(hide_password=False)
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise DatabaseUrlError(f"unsupported database {backend!r}: use sqlite or postgresql")


def _connect_on_loop_thread(
    dialect: Dialect, _record: Any, cargs: list[Any], cparams: dict[str, Any]
) -> Any:
    # SQLAlchemy's aiosqlite adapter takes the driver connection from `async_creator_fn` (what
    # create_async_engine's async_creator becomes), called with the URL's arguments.
    return dialect.loaded_dbapi.connect(*cargs, async_creator_fn=sqlite_inline.connect, **cparams)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers run beside the one writer.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # No busy wait in C: it would stop the event loop (models/sqlite_inline.py waits instead).
    cursor.execute("PRAGMA busy_timeout=0")
    cursor.close()


# A pooled PostgreSQL connection that rested longer than this is pinged before it is used
# again. SQLAlchemy's pool_pre_ping pings on every checkout, and asyncpg's ping is three round
# trips (BEGIN, a query, ROLLBACK): with a few sessions per update that was a large part of an
# update's database work. A connection handed back moments ago was alive moments ago; one
# that rested is checked, so a server restart or a dropped connection is still found before
# an update uses it. (A statement that meets a dead connection anyway makes SQLAlchemy
# replace the whole pool, as it always did.)
PING_AFTER_IDLE_S = 1.0
_CHECKED_IN_AT = "properbot_checked_in_at"


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info[_CHECKED_IN_AT] = time.monotonic()


def _ping_after_rest(dialect: Dialect) -> Any:
    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        rested_since = record.info.pop(_CHECKED_IN_AT, None)
        if rested_since is None or time.monotonic() - rested_since < PING_AFTER_IDLE_S:
            return  # new, or used a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool drops this connection and connects again (what pool_pre_ping does).
            raise DisconnectionError("pooled connection failed its ping") from exc

    return checkout


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    # SQLite is a file opened in this process: a connection to it cannot go stale, so it is
    # never pinged.
    engine = create_async_engine(normalize_url(url), echo=echo)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "do_connect", _connect_on_loop_thread)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        event.listen(engine.sync_engine, "checkin", _note_checkin)
        event.listen(engine.sync_engine, "checkout", _ping_after_rest(engine.dialect))
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def read_outside_transaction(session: AsyncSession) -> None:
    """Let a fresh `session` run its statements without a transaction around them: for a lone
    read whose answer needs no snapshot (a look before the update's own transaction). On
    PostgreSQL that is one round trip instead of three (BEGIN, the query, ROLLBACK); SQLite
    begins no transaction for a read anyway, so it is left as it is."""
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
