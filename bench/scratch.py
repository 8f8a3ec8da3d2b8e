"""A throw-away database for a benchmark run: a temporary SQLite file or a fresh PostgreSQL one."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url


@asynccontextmanager
async def scratch_database(kind: str, server_url: str, name: str) -> AsyncIterator[str]:
    """A fresh, empty database URL; removed afterwards (temporary file or dropped database).

    `name` is the PostgreSQL database to create on `server_url`; each benchmark has its own,
    so two can run side by side.
    """
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix=f"{name}-"))
        try:
            yield f"sqlite:///{folder / 'bench.sqlite3'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    server = make_url(server_url).set(drivername="postgresql")
    admin_dsn = server.render_as_string(hide_password=False)

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    await admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await admin(f"CREATE DATABASE {name}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        await admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
