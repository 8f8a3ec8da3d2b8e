"""Moments every instance shares through the database: the Bot API's 429 pause, who is active."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import Channel
from models import WorkerFlag

ACTIVE_WORKER = "active_worker"


def send_pause_flag(channel: Channel) -> str:
    """The flag holding a channel's shared pause: "<channel>_send_pause", as it always was."""
    return f"{channel.value}_send_pause"


def _upsert(dialect: str) -> Insert:
    if dialect == "postgresql":
        pg = postgresql.insert(WorkerFlag)
        return pg.on_conflict_do_update(
            index_elements=["name"],
            set_={
                "until": pg.excluded.until,
                "holder": pg.excluded.holder,
                "updated_at": pg.excluded.updated_at,
            },
        )
    if dialect == "sqlite":
        lite = sqlite.insert(WorkerFlag)
        return lite.on_conflict_do_update(
            index_elements=["name"],
            set_={
                "until": lite.excluded.until,
                "holder": lite.excluded.holder,
                "updated_at": lite.excluded.updated_at,
            },
        )
    raise NotImplementedError(f"no worker flags for {dialect}: use SQLite or PostgreSQL")


async def set_flag(
    session: AsyncSession,
    name: str,
    *,
    now: datetime,
    until: datetime | None = None,
    holder: str | None = None,
) -> None:
    connection = await session.connection()
    await connection.execute(
        _upsert(connection.dialect.name),
        {"name": name, "until": until, "holder": holder, "updated_at": now},
    )


async def send_pause(session: AsyncSession, channel: Channel) -> datetime | None:
    """Until when every instance must send nothing on `channel` (it answered "too many
    requests"), if at all."""
    return await session.scalar(
        select(WorkerFlag.until).where(WorkerFlag.name == send_pause_flag(channel))
    )


async def pause_sending(
    session: AsyncSession, channel: Channel, until: datetime, now: datetime
) -> None:
    """Share a channel's rate-limit pause; a later pause already shared wins."""
    current = await send_pause(session, channel)
    if current is None or current < until:
        await set_flag(session, send_pause_flag(channel), now=now, until=until)


async def active_worker(session: AsyncSession) -> str | None:
    """The instance that holds (or last held) the worker lock, as it named itself."""
    return await session.scalar(select(WorkerFlag.holder).where(WorkerFlag.name == ACTIVE_WORKER))
