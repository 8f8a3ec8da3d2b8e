"""A broadcast interrupted by a restart: the new process finishes it, nobody gets it twice."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from bot.sender import Sender
from domain.clock import ManualClock
from domain.enums import OutboxStatus
from domain.roles import Role
from fakegram import FakeTelegram
from models import Cohort, OutboxMessage
from models.db import session_factory
from services import broadcasts, delivery
from tests.factories import COHORT, import_roster
from tests.integration.stories import join


async def test_a_restart_in_the_middle_of_a_broadcast_loses_and_repeats_nothing(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, clock: ManualClock
) -> None:
    team = await import_roster(engine, now)
    users = {
        handle: await join(bot, telegram, 2000 + n, team[handle].code)
        for n, handle in enumerate(("budi", "nurhayati", "bambang", "lina", "teguh"))
    }
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        cohort_id = await session.scalar(select(Cohort.id).where(Cohort.name == COHORT))
        assert cohort_id is not None
        queued = await broadcasts.create_broadcast(
            session,
            cohort_id=cohort_id,
            author_id=None,
            text="Kelas daring dimulai pukul 08.00.",
            audience=broadcasts.Audience(roles=frozenset(Role)),
            now=now,
            actor_label="test",
        )

    # The first process sends at one message a second; at this instant it gets one out, has
    # claimed another when it is killed, and never records that send's outcome.
    first = Sender(bot.app.bot, sessions, clock, rate_per_s=1, burst=1)
    done = await first.drain_once()
    assert done.sent == 1
    async with sessions() as session, session.begin():
        [in_flight] = await delivery.claim_due(session, clock.now(), limit=1)

    # The new process recovers and finishes the announcement as time goes on.
    clock.advance(timedelta(seconds=30))
    second = Sender(bot.app.bot, sessions, clock)
    assert await second.recover() == [in_flight.id]
    for _ in range(10):
        result = await second.drain_once()
        if result.next_at is None:
            break
        clock.set(max(result.next_at, clock.now()))

    async with sessions() as session:
        rows = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.broadcast_id == queued.broadcast_id)
            )
        )
    # Hasan has not joined: his waits for him, untouched by either process.
    assert Counter(row.status for row in rows) == {OutboxStatus.SENT: 5, OutboxStatus.PENDING: 1}
    assert [row.attempts for row in rows if row.status == OutboxStatus.PENDING] == [0]
    assert [row.id for row in rows if row.maybe_repeated] == [in_flight.id]
    received = Counter(
        handle
        for handle, user in users.items()
        for message in user.inbox
        if "Kelas daring dimulai pukul 08.00." in (message.plain or "")
    )
    assert received == Counter({handle: 1 for handle in users})  # the claimed one was never sent
    async with sessions() as session:
        progress = await broadcasts.progress(session, queued.broadcast_id)
    assert progress.sent == 5 and progress.pending == 0 and progress.failed == 0
    assert progress.not_joined == 1 and progress.done
