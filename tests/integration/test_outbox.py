"""The delivery queue stores each logical message once, and can cancel what is not yet sent."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.enums import OutboxStatus
from models import OutboxMessage
from models.db import session_factory
from services.outbox import Button, Outgoing, cancel, enqueue
from tests.factories import import_roster


async def test_a_message_is_queued_once_per_key_and_round_trips(
    engine: AsyncEngine, now: datetime
) -> None:
    await import_roster(engine, now)
    message = Outgoing(
        "reminder.milestone",
        {"title": "Rapat", "due": now + timedelta(days=3), "days": 3},
        buttons=[[Button("report.button.feedback", callback_data="x1:y")]],
    )
    async with session_factory(engine)() as session, session.begin():
        first = await enqueue(
            session, dedup_key="ms:1:d3", message=message, not_before=now, kind="reminder",
            recipient_id=1,
        )  # fmt: skip
        again = await enqueue(
            session, dedup_key="ms:1:d3", message=message, not_before=now, kind="reminder",
            recipient_id=1,
        )  # fmt: skip
        other = await enqueue(
            session, dedup_key="ms:1:d1", message=message, not_before=now, kind="reminder",
            recipient_id=1,
        )  # fmt: skip
    assert (first, again, other) == (True, False, True)

    async with session_factory(engine)() as session:
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        assert len(rows) == 2
        assert Outgoing.from_payload(rows[0].payload) == message

    async with session_factory(engine)() as session, session.begin():
        assert await cancel(session, "ms:1:") == 2
        assert await cancel(session, "ms:1:") == 0
    async with session_factory(engine)() as session:
        statuses = set(await session.scalars(select(OutboxMessage.status)))
        assert statuses == {OutboxStatus.DROPPED}
