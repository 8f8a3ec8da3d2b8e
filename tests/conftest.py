"""Shared fixtures: a real database (SQLite and PostgreSQL), the fake Bot API, the running bot."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot, running_bot
from bot.settings import Settings
from domain.clock import ManualClock
from fakegram import FakeTelegram
from models import Base
from models.db import create_engine
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


def _run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


async def _migrate(url: str, *, reset_postgres: bool) -> None:
    engine = create_engine(url)
    try:
        if reset_postgres:
            async with engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy, which is faster than migrating again."""
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    _run(_migrate(f"sqlite:///{path}", reset_postgres=False))
    return path


@pytest.fixture(scope="session")
def postgres_ready() -> str:
    _run(_migrate(POSTGRES_URL, reset_postgres=True))
    return POSTGRES_URL


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
def settings() -> Settings:
    return Settings(admin_telegram_ids=frozenset({ADMIN_ID}))


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
