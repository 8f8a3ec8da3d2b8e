"""/cuti: a participant or mentor pauses reminders for a range of days, sees and cancels it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from domain.enums import Horizon
from domain.i18n import format_date
from fakegram import FakeTelegram
from handlers import vacation
from models import OutboxMessage, Person, Vacation
from models.db import session_factory
from services import projects
from services.reminders import sweep
from tests.factories import import_roster
from tests.integration.helpers import press, press_data, say, text

TODAY = date(2026, 11, 2)  # the `now` fixture, in Palembang (WIB)


@pytest.fixture
def cuti(bot: RunningBot) -> RunningBot:
    """The bot with /cuti, registered here until the composition root lists it itself."""
    registered = {
        getattr(h, "callback", None) for group in bot.app.handlers.values() for h in group
    }
    if vacation.cuti_command not in registered:
        # First in group 0, ahead of the catch-alls, as bot/app.py will place them.
        for handler in reversed(vacation.handlers()):
            bot.app.handlers.setdefault(0, []).insert(0, handler)
    return bot


async def join(bot: RunningBot, telegram: FakeTelegram, user_id: int, code: str) -> Any:
    user = telegram.user(user_id, f"User{user_id}")
    consent = await say(bot, user, f"/start {code}")
    await press(bot, user, consent, "Setuju")
    return user


def day(d: date) -> str:
    return format_date(d, None, "id")


async def ranges(engine: AsyncEngine, nip: str) -> list[tuple[date, date]]:
    async with session_factory(engine)() as session:
        return [
            (v.starts_on, v.ends_on)
            for v in await session.scalars(
                select(Vacation)
                .join(Person, Person.id == Vacation.person_id)
                .where(Person.nip == nip)
                .order_by(Vacation.starts_on)
            )
        ]


async def test_a_participant_records_merges_lists_and_cancels_leave(
    cuti: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = await join(cuti, telegram, 1001, team["budi"].code)

    reply = await say(cuti, budi, "/cuti")
    assert text("vacation.none") in reply.plain and "/jeda 24/12 - 2/1" in reply.plain

    reply = await say(cuti, budi, "/cuti 24/12 - 2/1")
    christmas, new_year = date(2026, 12, 24), date(2027, 1, 2)
    assert reply.plain.startswith(text("vacation.added", start=day(christmas), end=day(new_year)))
    assert reply.button_texts == ["❌ Batalkan 24/12–2/1/2027"]
    assert await ranges(engine, team["budi"].nip) == [(christmas, new_year)]

    # The same leave in words, a day longer: one range, not two.
    reply = await say(cuti, budi, "/cuti 24 Des sampai 3 Jan")
    merged = date(2027, 1, 3)
    assert reply.plain.startswith(text("vacation.merged", start=day(christmas), end=day(merged)))
    reply = await say(cuti, budi, "/cuti besok")
    assert await ranges(engine, team["budi"].nip) == [
        (TODAY + timedelta(days=1), TODAY + timedelta(days=1)),
        (christmas, merged),
    ]

    listing = await say(cuti, budi, "/cuti")
    assert listing.button_texts == ["❌ Batalkan 3/11", "❌ Batalkan 24/12–3/1/2027"]
    assert text("vacation.range", start=day(christmas), end=day(merged)) in listing.plain
    answer = await press(cuti, budi, listing, "❌ Batalkan 3/11")
    assert answer.text == text("vacation.cancelled")
    assert budi.last.button_texts == ["❌ Batalkan 24/12–3/1/2027"]  # the list, edited
    assert await ranges(engine, team["budi"].nip) == [(christmas, merged)]


@pytest.mark.parametrize(
    ("typed", "key", "params"),
    [
        ("/cuti 1/10/2026 - 5/10/2026", "vacation.error.past", {"end": date(2026, 10, 5)}),
        ("/cuti 2/1 - 24/12", "vacation.error.too_long", {"days": 357, "max": 60}),
        ("/cuti 10/12/2026 - 5/12/2026", "vacation.error.order", {}),
        ("/cuti liburan panjang", "date.error.not_understood", {"value": "liburan panjang"}),
        ("/cuti 31/2", "date.error.impossible", {"value": "31/2"}),
    ],
)
async def test_leave_that_cannot_be_taken_is_refused_with_a_reason(
    cuti: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    typed: str,
    key: str,
    params: dict[str, Any],
) -> None:
    team = await import_roster(engine, now)
    budi = await join(cuti, telegram, 1001, team["budi"].code)
    reply = await say(cuti, budi, typed)
    if key == "vacation.error.order":
        params = {"start": day(date(2026, 12, 10)), "end": day(date(2026, 12, 5))}
    params = {k: day(v) if isinstance(v, date) else v for k, v in params.items()}
    assert reply.plain.startswith(text(key, **params))
    assert await ranges(engine, team["budi"].nip) == []


async def test_leave_that_began_already_is_recorded_from_today(
    cuti: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = await join(cuti, telegram, 1001, team["budi"].code)
    reply = await say(cuti, budi, "/cuti 30/10/2026 - 4/11/2026")
    assert text("vacation.from_today") in reply.plain
    assert await ranges(engine, team["budi"].nip) == [(TODAY, date(2026, 11, 4))]


async def test_only_the_owner_cancels_and_only_advisees_and_advisors_use_it(
    cuti: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = await join(cuti, telegram, 1001, team["budi"].code)
    bambang = await join(cuti, telegram, 1005, team["bambang"].code)
    teguh = await join(cuti, telegram, 1006, team["teguh"].code)
    await say(cuti, budi, "/cuti 24/12 - 2/1")
    async with session_factory(engine)() as session:
        (leave_id,) = await session.scalars(select(Vacation.id))

    # Bambang, a mentor, takes leave too; a forged button for Budi's leave does nothing.
    reply = await say(cuti, bambang, "/cuti 28/12 - 30/12")
    assert reply.button_texts == ["❌ Batalkan 28/12–30/12"]
    answer = await press_data(cuti, bambang, reply, f"ct1:x:{leave_id}")
    assert answer.text == text("access.not_yours") and answer.show_alert
    for forged in ("ct1:x:abc", "ct1:z:1", "ct1:x"):
        answer = await press_data(cuti, bambang, reply, forged)
        assert answer.text == text("button.stale")
    assert await ranges(engine, team["budi"].nip) == [(date(2026, 12, 24), date(2027, 1, 2))]

    # The examiner gets no reminders to pause.
    reply = await say(cuti, teguh, "/cuti besok")
    roles = ", ".join(text(f"role.{r}") for r in ("mentor", "coach", "participant"))
    assert reply.plain == text("access.role_required", roles=roles)
    async with session_factory(engine)() as session:
        assert len(list(await session.scalars(select(Vacation.id)))) == 2


async def test_leave_taken_by_chat_silences_the_reminders(
    cuti: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = await join(cuti, telegram, 1001, team["budi"].code)
    async with session_factory(engine)() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.nip == team["budi"].nip))
        assert person is not None
        milestone = await projects.add_milestone(
            session,
            person.id,
            title="Rapat koordinasi",
            horizon=Horizon.SHORT,
            due_on=date(2026, 11, 9),  # a week from today: the 7-day reminder is due now
            expected_output=None,
            today=TODAY,
            now=now,
        )
    await say(cuti, budi, "/cuti hari ini")
    async with session_factory(engine)() as session, session.begin():
        await sweep(session, now)
        await sweep(session, now + timedelta(days=4))  # the 3-day reminder, back at work
    async with session_factory(engine)() as session:
        planned = set(await session.scalars(select(OutboxMessage.dedup_key)))
    assert f"ms:{milestone.id}:before7:2026-11-09" not in planned
    assert f"ms:{milestone.id}:before3:2026-11-09" in planned
