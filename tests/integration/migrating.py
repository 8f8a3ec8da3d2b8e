"""Migration test helpers: a database of its own at an old revision, moved with Alembic."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from models.db import create_engine
from models.migrate import alembic_config
from tests.conftest import BACKENDS, _admin, _server_url


def _to(connection: Connection, revision: str, *, down: bool = False) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    (command.downgrade if down else command.upgrade)(config, revision)


async def migrate(engine: AsyncEngine, revision: str, *, down: bool = False) -> None:
    """Upgrade (or downgrade) the database to `revision`."""
    async with engine.begin() as connection:
        await connection.run_sync(_to, revision, down=down)


@pytest.fixture(params=BACKENDS)
async def empty_engine(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    """A database of its own with no schema at all: the shared ones are already at head."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'previous.sqlite3'}")
        yield engine
        await engine.dispose()
        return
    name = f"test_migration_{secrets.token_hex(4)}"
    await _admin(f'CREATE DATABASE "{name}"')
    engine = create_engine(_server_url(name))
    try:
        yield engine
    finally:
        await engine.dispose()
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def fill(engine: AsyncEngine, statements: list[str], **params: Any) -> None:
    """Raw SQL in the old schema's shape, in one transaction."""
    async with engine.begin() as connection:
        for statement in statements:
            await connection.execute(text(statement), params)


async def rows(engine: AsyncEngine, sql: str) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        return [tuple(row) for row in (await connection.execute(text(sql))).all()]
