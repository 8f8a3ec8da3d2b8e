"""A new reminder kind is one module plus one line in the registry: a kind written only for this
test, added to the registry's kinds, is planned by the core like the others, once per key,
on its recipient's local day at the send time, and never for someone on leave."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain.enums import Channel, OutboxStatus
from domain.roles import Role
from domain.timezones import WIB, WIT
from models import Membership, OutboxMessage, Person
from models.accounts import has_joined
from models.db import session_factory
from services import vacations
from services.onboarding import GuessLimits, join
from services.people import AccountRef
from services.reminders import KINDS, ReminderKind, SweepResult, sweep
from services.reminders.core import SweepState, message
from tests.factories import import_roster

KIND_WELCOME = "welcome"

_JOINED_PARTICIPANTS = (
    select(Person.id, Person.timezone, Membership.cohort_id)
    .join(Membership, Membership.person_id == Person.id)
    .where(Membership.role == Role.PARTICIPANT, has_joined(Person))
)


async def find_welcomes(session: AsyncSession, state: SweepState) -> None:
    """Each joined participant is welcomed once, on their local day, at the send time."""
    for person_id, zone_name, cohort_id in (await session.execute(_JOINED_PARTICIPANTS)).tuples():
        day = state.today(zone_name)
        timing = state.timing(cohort_id, zone_name, day, known_since=None)
        if timing is not None:
            state.add(
                timing,
                key=f"welcome:{person_id}",
                kind=KIND_WELCOME,
                recipient_id=person_id,
                cohort_id=cohort_id,
                day=day,
                build=message("reminder.nudge.never", since=state.now),
            )


WELCOME = ReminderKind(KIND_WELCOME, find_welcomes)
REGISTRY = (*KINDS, WELCOME)  # the one line a new kind adds to services/reminders/registry.py


def at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


async def welcomes(engine: AsyncEngine) -> list[OutboxMessage]:
    async with session_factory(engine)() as session:
        return list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == KIND_WELCOME)
                .order_by(OutboxMessage.id)
            )
        )


async def run(engine: AsyncEngine, moment: datetime, *, registry: bool = True) -> SweepResult:
    async with session_factory(engine)() as session, session.begin():
        if registry:
            return await sweep(session, moment, kinds=REGISTRY)
        return await sweep(session, moment)


async def test_a_kind_added_to_the_registry_is_planned_like_every_other(
    engine: AsyncEngine, now: datetime
) -> None:
    monday = now.date()  # 08.00 WIB; Budi is in WIB, Nurhayati in WIT
    members = await import_roster(engine, now)
    limits = GuessLimits(max_failures=5, lockout=timedelta(minutes=15))
    ids: dict[str, int] = {}
    async with session_factory(engine)() as session, session.begin():
        for number, handle in enumerate(("budi", "nurhayati", "bambang"), start=1):
            joined = await join(
                session, AccountRef(Channel.TELEGRAM, str(7100 + number)), str(7100 + number),
                members[handle].code,
                language="id", now=now, limits=limits,
            )  # fmt: skip
            ids[handle] = joined.person_id  # type: ignore[union-attr]
        # Budi is on leave today and tomorrow: no welcome on those days.
        await vacations.add_vacation(
            session, ids["budi"], monday, monday + timedelta(days=1), today=monday
        )

    # Without the new kind in the registry, nothing of it is planned.
    assert (await run(engine, now, registry=False)).planned[KIND_WELCOME] == 0

    result = await run(engine, now)
    assert result.planned[KIND_WELCOME] == 1  # Budi is on leave today
    (welcome,) = await welcomes(engine)
    assert welcome.recipient_id == ids["nurhayati"]
    assert welcome.status is OutboxStatus.PENDING
    assert welcome.not_before == at(monday, time(8), WIT)  # her 08.00, already past: at once
    assert welcome.expires_at == at(monday, time(21), WIT)  # her quiet hours begin

    # Planned once: later sweeps that day find its key in the outbox.
    again = await run(engine, now + timedelta(minutes=1))
    assert again.planned[KIND_WELCOME] == 0
    # Budi back from leave on Wednesday: welcomed at 08.00 in his zone, counted once.
    wednesday = monday + timedelta(days=2)
    assert (await run(engine, at(wednesday, time(7, 59), WIB))).planned[KIND_WELCOME] == 1
    assert [w.recipient_id for w in await welcomes(engine)] == [ids["nurhayati"], ids["budi"]]
    assert (await run(engine, at(wednesday, time(8), WIT))).planned[KIND_WELCOME] == 0
