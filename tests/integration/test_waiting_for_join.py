"""Messages for someone who has not joined yet wait for them: an announcement or a seminar
notice reaches them when they join, if it still matters; what went stale meanwhile does not."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from domain.clock import ManualClock
from domain.enums import DeliveryFailure, OutboxStatus
from domain.i18n import translator
from domain.roles import Role
from fakegram import FakeTelegram
from handlers.broadcast import status_text
from models import Cohort, OutboxMessage, Person
from models.db import session_factory
from services import broadcasts
from tests.factories import COHORT, import_roster
from tests.integration.stories import join, plan

ANNOUNCEMENT = "Kelas daring modul 4 dimulai Senin pukul 08.00 WIB."


async def ids_of(engine: AsyncEngine) -> dict[str, int]:
    """Person ids by handle, as the seminar helpers take them."""
    handles = {
        "Budi Santoso": "budi",
        "Nurhayati Umasugi": "nurhayati",
        "Dr. Ir. Bambang Wijaya": "bambang",
        "Dr. Lina Marliani": "lina",
        "Prof. Teguh Santoso": "teguh",
        "Ir. Hasan Basri": "hasan",
    }
    async with session_factory(engine)() as session:
        rows = (await session.execute(select(Person.full_name, Person.id))).tuples()
        return {handles[name]: pid for name, pid in rows if name in handles}


async def announce(engine: AsyncEngine, now: datetime) -> int:
    """The organizer announces to the cohort's participants, from outside the bot."""
    async with session_factory(engine)() as session, session.begin():
        cohort_id = await session.scalar(select(Cohort.id).where(Cohort.name == COHORT))
        assert cohort_id is not None
        queued = await broadcasts.create_broadcast(
            session,
            cohort_id=cohort_id,
            author_id=None,
            text=ANNOUNCEMENT,
            audience=broadcasts.Audience(roles=frozenset({Role.PARTICIPANT})),
            now=now,
        )
    return queued.broadcast_id


async def row_for(engine: AsyncEngine, broadcast_id: int, person_id: int) -> OutboxMessage:
    async with session_factory(engine)() as session:
        row = await session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.broadcast_id == broadcast_id,
                OutboxMessage.recipient_id == person_id,
            )
        )
        assert row is not None
        return row


def announcements(user: object) -> list[str]:
    inbox = getattr(user, "inbox", [])
    return [m.plain for m in inbox if ANNOUNCEMENT in (m.plain or "")]


async def test_an_announcement_made_before_nurhayati_joins_reaches_her_when_she_joins(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, clock: ManualClock
) -> None:
    team = await import_roster(engine, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    ids = await ids_of(engine)
    bid = await announce(engine, now)

    # Budi gets it at once; Nurhayati's waits for her and is not counted as failed.
    first = await bot.deliver()
    assert (first.sent, first.failed, first.unreachable) == (1, 0, 0)
    assert len(announcements(budi)) == 1
    async with session_factory(engine)() as session:
        summary = await broadcasts.summary(session, bid)
    assert summary.progress == broadcasts.Progress(sent=1, failed=0, pending=0, not_joined=1)
    assert summary.progress.done  # nothing holds the organizer's status up
    assert summary.not_joined == ["Nurhayati Umasugi"] and summary.failed == []
    shown = status_text(translator("id"), summary)
    assert "Terkirim: 1 · Gagal: 0 · Menunggu bergabung: 1" in shown
    assert "Nurhayati Umasugi — belum bergabung; akan menerimanya saat bergabung" in shown
    assert "Nurhayati Umasugi — has not joined yet; receives it on joining" in status_text(
        translator("en"), summary
    )

    # Two days go by; the sender looks again and again and leaves her message alone.
    for _ in range(3):
        clock.advance(timedelta(hours=16))
        idle = await bot.deliver()
        assert (idle.sent, idle.failed, idle.dropped) == (0, 0, 0)
    waiting = await row_for(engine, bid, ids["nurhayati"])
    assert (waiting.status, waiting.attempts, waiting.last_error) == (OutboxStatus.PENDING, 0, None)

    # She joins with her invite; right after, the announcement is hers, once.
    nurhayati = await join(bot, telegram, 1002, team["nurhayati"].code)
    assert announcements(nurhayati) == []  # not sent by the join itself: by the sender
    after = await bot.deliver()
    assert after.sent == 1
    (received,) = announcements(nurhayati)
    assert f"Pengumuman — {COHORT}" in received
    assert (await row_for(engine, bid, ids["nurhayati"])).status == OutboxStatus.SENT
    assert (await bot.deliver()).sent == 0
    assert len(announcements(nurhayati)) == 1 and len(announcements(budi)) == 1
    async with session_factory(engine)() as session:
        counted = await broadcasts.progress(session, bid)
    assert counted == broadcasts.Progress(sent=2, failed=0, pending=0, not_joined=0)


async def test_an_announcement_past_its_relevance_is_not_sent_to_those_who_join_late(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, clock: ManualClock
) -> None:
    # Nurhayati and her mentor Hasan never joined; the mentors hear the same announcement.
    team = await import_roster(engine, now)
    ids = await ids_of(engine)
    await join(bot, telegram, 1001, team["budi"].code)
    async with session_factory(engine)() as session, session.begin():
        cohort_id = await session.scalar(select(Cohort.id).where(Cohort.name == COHORT))
        assert cohort_id is not None
        await broadcasts.create_broadcast(
            session,
            cohort_id=cohort_id,
            author_id=None,
            text=ANNOUNCEMENT,
            audience=broadcasts.Audience(roles=frozenset({Role.PARTICIPANT, Role.MENTOR})),
            now=now,
        )
    bid = await announce(engine, now)  # a second one, to participants only
    sent = (await bot.deliver()).sent
    clock.advance(timedelta(seconds=2))  # one message a second to one chat
    assert sent + (await bot.deliver()).sent == 2  # Budi's two

    # Three weeks later (past RELEVANT_FOR) Nurhayati joins: neither announcement reaches her.
    clock.advance(broadcasts.RELEVANT_FOR + timedelta(days=7))
    nurhayati = await join(bot, telegram, 1002, team["nurhayati"].code)
    later = await bot.deliver()
    assert later.sent == 0
    assert announcements(nurhayati) == []
    stale = await row_for(engine, bid, ids["nurhayati"])
    assert stale.status == OutboxStatus.DROPPED
    # For the organizer: it did not arrive because she joined too late, not a failure.
    assert stale.error_reason == DeliveryFailure.NOT_JOINED
    # Hasan, still away, has his dropped by the sender, for the same reason.
    async with session_factory(engine)() as session:
        hasans = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.recipient_id == ids["hasan"])
            )
        )
        counted = await broadcasts.summary(session, bid)
    assert [(r.status, r.error_reason) for r in hasans] == [
        (OutboxStatus.DROPPED, DeliveryFailure.NOT_JOINED)
    ]
    assert counted.progress == broadcasts.Progress(sent=1, failed=0, pending=0, not_joined=1)
    assert counted.not_joined == ["Nurhayati Umasugi"] and counted.failed == []


async def test_seminar_notices_wait_for_her_but_one_for_a_seminar_already_held_does_not(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, clock: ManualClock
) -> None:
    team = await import_roster(engine, now)
    ids = await ids_of(engine)
    # Planned before Nurhayati joins: a seminar tomorrow (notice now, reminders before it) and
    # one in ten days.
    held = await plan(
        engine, ids, now, starts=now + timedelta(days=1, hours=2), presenters=("nurhayati",)
    )
    coming = await plan(
        engine, ids, now, starts=now + timedelta(days=10, hours=2), presenters=("nurhayati",)
    )
    async with session_factory(engine)() as session:
        before = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.recipient_id == ids["nurhayati"])
            )
        )
    assert {m.dedup_key.split(":")[1] for m in before} == {str(held), str(coming)}
    assert any("d1" in m.dedup_key or "h2" in m.dedup_key for m in before)  # reminders too
    assert (await bot.deliver()).failed == 0

    # Three days later the first seminar is over, with its reminders; she joins.
    clock.advance(timedelta(days=3))
    nurhayati = await join(bot, telegram, 1002, team["nurhayati"].code)
    await bot.deliver()

    async with session_factory(engine)() as session:
        after = {
            m.dedup_key: m
            for m in await session.scalars(
                select(OutboxMessage).where(OutboxMessage.recipient_id == ids["nurhayati"])
            )
        }
    sent = [k for k, m in after.items() if m.status == OutboxStatus.SENT]
    # The coming seminar's notice reaches her; its reminders wait for their own moments.
    assert len(sent) == 1 and sent[0].split(":")[1] == str(coming)
    assert all(
        (m.status, m.error_reason) == (OutboxStatus.DROPPED, DeliveryFailure.NOT_JOINED)
        for k, m in after.items()
        if k.split(":")[1] == str(held)
    )
    assert all(
        m.status == OutboxStatus.PENDING
        for k, m in after.items()
        if k.split(":")[1] == str(coming) and k not in sent
    )
    seminar_messages = [m for m in nurhayati.inbox if "Undangan" in (m.plain or "")]
    assert len(seminar_messages) == 1
    assert "12 November 2026" in seminar_messages[0].plain  # in her zone (WIT)
    assert "12.00 WIT" in seminar_messages[0].plain
