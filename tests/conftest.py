"""Shared fixtures: a real database (SQLite and PostgreSQL), the fake Bot API, the running bot."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asyncpg.exceptions import InvalidCatalogNameError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.harness import RunningBot, running_bot
from bot.settings import Settings
from domain.clock import ManualClock
from fakegram import FakeTelegram
from models import Base
from models.db import create_engine, normalize_url
from models.migrate import upgrade

POSTGRES_URL = os.environ.get(
    "PROPERBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
# Which databases the suite runs on; both by default, so a green run means both work.
BACKENDS = [
    b.strip()
    for b in os.environ.get("PROPERBOT_TEST_DATABASES", "sqlite,postgresql").split(",")
    if b.strip()
]
# Where the server's own database lives, for when the URL's database does not exist.
_MAINTENANCE_DATABASE = "postgres"
_CONNECT_TIMEOUT_S = 5
_NO_POSTGRES = (
    "PostgreSQL tests skipped: no PostgreSQL server at {where} ({reason}). "
    "Start PostgreSQL there, or set PROPERBOT_TEST_POSTGRES_URL to a server you can reach "
    "(any database on it: each run creates and drops its own), or set "
    "PROPERBOT_TEST_DATABASES=sqlite to run SQLite only."
)


def _run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def _server_url(database: str) -> str:
    """POSTGRES_URL with another database: the URL names a server, each run brings its own."""
    return (
        make_url(normalize_url(POSTGRES_URL))
        .set(database=database)
        .render_as_string(hide_password=False)
    )


async def _admin(sql: str) -> None:
    """One statement outside a transaction (CREATE/DROP DATABASE cannot run inside one), on the
    URL's database, or the server's maintenance database when that one does not exist."""
    last: Exception | None = None
    for database in (make_url(normalize_url(POSTGRES_URL)).database, _MAINTENANCE_DATABASE):
        engine = create_async_engine(
            _server_url(database or _MAINTENANCE_DATABASE),
            isolation_level="AUTOCOMMIT",
            connect_args={"timeout": _CONNECT_TIMEOUT_S},
        )
        try:
            async with engine.connect() as conn:
                await conn.execute(text(sql))
            return
        except (InvalidCatalogNameError, DBAPIError) as exc:
            missing = exc if isinstance(exc, InvalidCatalogNameError) else exc.orig
            if not isinstance(missing, InvalidCatalogNameError) and "does not exist" not in str(
                missing
            ):
                raise
            last = exc
        finally:
            await engine.dispose()
    assert last is not None
    raise last


_SKIPPED_KEY = pytest.StashKey[str]()


def _postgres_unreachable() -> str | None:
    """Why no PostgreSQL server answers at POSTGRES_URL, or None when one does."""
    try:
        _run(_admin("SELECT 1"))
    except (OSError, TimeoutError) as exc:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a PostgreSQL server, skip its half of the suite with one reason, not N errors.

    A test pinned to one backend (parametrized `database_url` itself) that
    PROPERBOT_TEST_DATABASES leaves out is deselected, like the other half of that backend."""
    unwanted = [item for item in items if _backend(item) not in (None, *BACKENDS)]
    if unwanted:
        config.hook.pytest_deselected(items=unwanted)
        items[:] = [item for item in items if item not in unwanted]
    wanted = [item for item in items if _backend(item) == "postgresql"]
    if not wanted:
        return
    reason = _postgres_unreachable()
    if reason is None:
        return
    url = make_url(normalize_url(POSTGRES_URL))
    message = _NO_POSTGRES.format(
        where=f"{url.host or 'localhost'}:{url.port or 5432}", reason=reason
    )
    config.stash[_SKIPPED_KEY] = message
    marker = pytest.mark.skip(reason=message)
    for item in wanted:
        item.add_marker(marker)


def _backend(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return None
    value = callspec.params.get("database_url")
    return value if isinstance(value, str) else None


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    message = config.stash.get(_SKIPPED_KEY, None)
    if message is not None:
        terminalreporter.write_line(message, yellow=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy, which is faster than migrating again."""
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    _run(_migrate(f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_ready() -> Iterator[str]:
    """A fresh database of this run's own on the server, so that parallel runs (other people,
    other checkouts) never reset each other's tables; dropped when the run ends."""
    name = f"test_{os.getpid()}_{secrets.token_hex(4)}"
    _run(_admin(f'CREATE DATABASE "{name}"'))
    url = _server_url(name)
    try:
        _run(_migrate(url))
        yield url
    finally:
        # FORCE: a connection a failed test left open must not keep the database alive.
        _run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "properbot.sqlite3"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
    elif request.param == "postgresql":
        url = request.getfixturevalue("postgres_ready")
        _run(_truncate(url))
        yield url
    else:
        raise pytest.UsageError(f"unknown backend {request.param!r}")


async def _truncate(url: str) -> None:
    """Tests never depend on each other's leftovers."""
    engine = create_engine(url)
    try:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def clock(now: datetime) -> ManualClock:
    return ManualClock(now)


ADMIN_ID = 555000111


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # The evidence folder is where `properbot` run in tmp_path finds it by default too: beside
    # the test's SQLite file, or ./evidence for PostgreSQL.
    return Settings(admin_telegram_ids=frozenset({ADMIN_ID}), evidence_dir=tmp_path / "evidence")


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(bot_username="properbot_test_bot") as server:
        yield server


@pytest.fixture
async def bot(
    telegram: FakeTelegram, settings: Settings, clock: ManualClock, engine: AsyncEngine
) -> AsyncIterator[RunningBot]:
    """The real Application polling the fake server over HTTP, on the test's database."""
    async with running_bot(telegram, settings, clock=clock, engine=engine) as running:
        yield running
