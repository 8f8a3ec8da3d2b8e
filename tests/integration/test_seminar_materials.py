"""Before a seminar each presenter is asked for their report and slides, at 08.00 in their own
zone N days ahead, and the organizers get the list; linked groups hear of every seminar that
is scheduled, moved or called off, with nothing personal beyond who presents."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from bot.sender import Sender
from domain.clock import ManualClock
from domain.enums import Channel, OutboxStatus, SeminarKind
from domain.schedule import InvalidReminderSettings, ReminderSettings
from domain.timezones import WIB, WIT
from fakegram import FakeTelegram
from models import Cohort, CohortGroup, OutboxMessage
from models.db import session_factory
from services import groups, vacations
from services.groups import GroupChat
from services.seminars import (
    NewSeminar,
    Organizer,
    cancel_seminar,
    reschedule_seminar,
    schedule_seminar,
)
from tests.factories import COHORT, HEADER, import_roster
from tests.integration.stories import (  # noqa: F401 - fixtures
    MATERIALS_DAY,
    at,
    bot,
    join,
    person_ids,
    rendered,
    rows,
    run_sweep,
)
from tests.integration.stories import reminder_cast as cast

# Thursday 10 December 2026, 09.00 WIB = 11.00 WIT; materials are asked for on Monday the 7th.
STARTS = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)
CLI = Organizer(person_id=None, label="test", every_cohort=True)
GROUP = -100777


async def cohort_of(engine: AsyncEngine, name: str = COHORT) -> int:
    async with session_factory(engine)() as session:
        found = await session.scalar(select(Cohort.id).where(Cohort.name == name))
        assert found is not None
        return found


async def schedule(
    engine: AsyncEngine, ids: Any, now: datetime, *, starts: datetime = STARTS
) -> int:
    async with session_factory(engine)() as session, session.begin():
        planned = await schedule_seminar(
            session,
            NewSeminar(
                cohort_id=await cohort_of(engine),
                kind=SeminarKind.DESIGN,
                starts_at=starts,
                zone=WIB,
                presenter_ids=[ids["budi"], ids["nurhayati"]],
                examiner_id=ids["teguh"],
                place="Aula BPSDM Lantai 2",
            ),
            by=CLI,
            now=now,
        )
    return planned.seminar_id


async def move(engine: AsyncEngine, seminar_id: int, starts: datetime, now: datetime) -> None:
    async with session_factory(engine)() as session, session.begin():
        await reschedule_seminar(session, seminar_id, starts, by=CLI, now=now)


async def cancel(engine: AsyncEngine, seminar_id: int, now: datetime) -> None:
    async with session_factory(engine)() as session, session.begin():
        await cancel_seminar(session, seminar_id, by=CLI, now=now)


def stamp(starts: datetime) -> str:
    return starts.strftime("%Y%m%dT%H%M")


async def materials(
    engine: AsyncEngine, seminar_id: int, status: OutboxStatus | None = OutboxStatus.PENDING
) -> dict[str, OutboxMessage]:
    return {
        m.dedup_key: m
        for m in await rows(engine, f"seminar:{seminar_id}:materials:")
        if status is None or m.status is status
    }


async def link(engine: AsyncEngine, chat_id: int, cohort_id: int, now: datetime) -> None:
    async with session_factory(engine)() as session, session.begin():
        await groups.link_group(
            session,
            cohort_id=cohort_id,
            chat=GroupChat(Channel.TELEGRAM, str(chat_id)),
            title="Grup",
            by_person_id=None,
            now=now,
        )


async def group_rows(engine: AsyncEngine) -> dict[str, OutboxMessage]:
    async with session_factory(engine)() as session:
        return {
            m.dedup_key: m
            for m in await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.group_id.is_not(None))
                .order_by(OutboxMessage.id)
            )
        }


# --- the materials reminder ---------------------------------------------------------------


async def test_presenters_are_asked_for_materials_three_days_before_at_eight_their_time(
    engine: AsyncEngine, now: datetime
) -> None:
    team = await cast(engine, now)
    seminar_id = await schedule(engine, team, now)
    prefix = f"seminar:{seminar_id}:materials:{stamp(STARTS)}:"
    await run_sweep(engine, now)
    assert await materials(engine, seminar_id) == {}

    # 08.00 WIT on the 7th is 06.00 WIB: Nurhayati in Sofifi first, Budi and Siti not yet.
    await run_sweep(engine, at(MATERIALS_DAY, time(7, 50), WIT))
    assert await materials(engine, seminar_id) == {}
    await run_sweep(engine, at(MATERIALS_DAY, time(8), WIT))
    queued = await materials(engine, seminar_id)
    assert set(queued) == {f"{prefix}{team['nurhayati']}"}
    nurhayati = queued[f"{prefix}{team['nurhayati']}"]
    assert nurhayati.not_before == at(MATERIALS_DAY, time(8), WIT)
    assert nurhayati.expires_at == at(MATERIALS_DAY, time(21), WIT)  # her quiet hours
    assert nurhayati.kind == "seminar_materials" and nurhayati.recipient_id == team["nurhayati"]
    text_ = rendered(nurhayati, zone=WIT)
    assert text_.startswith("📎 <b>Laporan dan bahan tayang untuk seminar rancangan</b>")
    assert "Waktu: Kamis, 10 Desember 2026, 11.00 WIT" in text_
    assert "Tempat: Aula BPSDM Lantai 2" in text_
    # "PKP Angkatan IV" is a PKP cohort: its participants lead an aksi perubahan.
    # Sent with the button under it, straight on to the advisors: not to the organizer.
    assert "laporan aksi perubahan dan bahan tayang hari ini melalui tombol" in text_
    assert '"Kirim bahan"' in text_ and "penyelenggara" not in text_
    english = rendered(nurhayati, "en", zone=WIT)
    assert "Thursday, 10 December 2026, 11.00 WIT" in english
    assert "report (laporan) and slides (bahan tayang)" in english
    assert '"Send materials" button' in english and "organizer" not in english

    # 08.00 WIB: Budi, and Siti the organizer with the list of presenters.
    await run_sweep(engine, at(MATERIALS_DAY, time(8), WIB))
    queued = await materials(engine, seminar_id)
    assert set(queued) == {
        f"{prefix}{team['nurhayati']}",
        f"{prefix}{team['budi']}",
        f"{prefix}admin:{team['siti']}",
    }
    assert queued[f"{prefix}{team['budi']}"].not_before == at(MATERIALS_DAY, time(8), WIB)
    summary = queued[f"{prefix}admin:{team['siti']}"]
    assert summary.recipient_id == team["siti"]
    assert summary.not_before == at(MATERIALS_DAY, time(8), WIB)
    text_ = rendered(summary)
    assert "Penyaji (2):\n• Budi Santoso\n• Nurhayati Umasugi" in text_
    assert "Waktu: Kamis, 10 Desember 2026, 09.00 WIB" in text_
    # The bot forwards the files itself; the organizer only checks who has not sent them.
    assert "meneruskannya langsung" in text_ and "Silakan Bapak/Ibu meneruskannya" not in text_
    # Neither the examiner, the mentor nor the coach is asked for materials.
    recipients = {m.recipient_id for m in queued.values()}
    assert recipients.isdisjoint({team["teguh"], team["bambang"], team["lina"]})

    # Never twice: later sweeps that day, after sending too, plan nothing more.
    async with session_factory(engine)() as session, session.begin():
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.dedup_key.startswith(prefix))
            .values(status=OutboxStatus.SENT)
        )
    for moment in (at(MATERIALS_DAY, time(8, 1), WIB), at(MATERIALS_DAY, time(15), WIB)):
        result = await run_sweep(engine, moment)
        assert result.planned["seminar_materials"] == 0
    assert len(await materials(engine, seminar_id, status=None)) == 3


async def test_a_cancelled_seminar_asks_for_nothing_and_drops_what_waits(
    engine: AsyncEngine, now: datetime
) -> None:
    team = await cast(engine, now)
    early = await schedule(engine, team, now)
    late = await schedule(engine, team, now, starts=STARTS + timedelta(days=14))
    # Nurhayati's request for the early seminar is planned, then the seminar is called off.
    await run_sweep(engine, at(MATERIALS_DAY, time(8), WIT))
    assert len(await materials(engine, early)) == 1
    await cancel(engine, early, at(MATERIALS_DAY, time(7), WIB))
    await cancel(engine, late, at(MATERIALS_DAY, time(7), WIB))
    assert await materials(engine, early) == {}
    dropped = await materials(engine, early, status=OutboxStatus.DROPPED)
    assert [m.last_error for m in dropped.values()] == ["cancelled"]

    for moment in (at(MATERIALS_DAY, time(8), WIB), at(date(2026, 12, 21), time(8), WIB)):
        await run_sweep(engine, moment)
    assert await materials(engine, early) == {}
    assert await materials(engine, late) == {}


async def test_a_moved_seminar_asks_again_before_its_new_date_and_back_again(
    engine: AsyncEngine, now: datetime
) -> None:
    team = await cast(engine, now)
    seminar_id = await schedule(engine, team, now)
    await run_sweep(engine, at(MATERIALS_DAY, time(8), WIB))
    assert len(await materials(engine, seminar_id)) == 3

    # Moved a week on before anything went out: what waited is dropped, nothing is asked
    # for the old date, and the new date's requests come on the 14th.
    moved = STARTS + timedelta(days=7)
    await move(engine, seminar_id, moved, at(MATERIALS_DAY, time(9), WIB))
    assert await materials(engine, seminar_id) == {}
    await run_sweep(engine, at(MATERIALS_DAY, time(10), WIB))
    assert await materials(engine, seminar_id) == {}
    await run_sweep(engine, at(date(2026, 12, 14), time(8), WIB))
    queued = await materials(engine, seminar_id)
    assert set(queued) == {
        f"seminar:{seminar_id}:materials:{stamp(moved)}:{team['budi']}",
        f"seminar:{seminar_id}:materials:{stamp(moved)}:{team['nurhayati']}",
        f"seminar:{seminar_id}:materials:{stamp(moved)}:admin:{team['siti']}",
    }
    assert "Kamis, 17 Desember 2026, 09.00 WIB" in rendered(
        queued[f"seminar:{seminar_id}:materials:{stamp(moved)}:{team['budi']}"]
    )

    # Moved back to the old date while that day is still on: its requests come again.
    await move(
        engine, seminar_id, STARTS + timedelta(days=14), at(date(2026, 12, 14), time(9), WIB)
    )
    await move(engine, seminar_id, moved, at(date(2026, 12, 14), time(10), WIB))
    await run_sweep(engine, at(date(2026, 12, 14), time(10), WIB))
    assert set(await materials(engine, seminar_id)) == set(queued)


async def test_vacations_and_settings_are_respected(engine: AsyncEngine, now: datetime) -> None:
    team = await cast(engine, now)
    async with session_factory(engine)() as session, session.begin():
        cohort = await session.get_one(Cohort, await cohort_of(engine))
        cohort.settings = {"reminders": {"seminar_materials_days": 2}}
        await vacations.add_vacation(
            session, team["budi"], date(2026, 12, 8), date(2026, 12, 8), today=now.date()
        )
    seminar_id = await schedule(engine, team, now)
    await run_sweep(engine, at(MATERIALS_DAY, time(8), WIB))
    assert await materials(engine, seminar_id) == {}

    # Two days before: Budi is on leave that day; Nurhayati and the organizer are asked.
    result = await run_sweep(engine, at(date(2026, 12, 8), time(8), WIB))
    assert set(await materials(engine, seminar_id)) == {
        f"seminar:{seminar_id}:materials:{stamp(STARTS)}:{team['nurhayati']}",
        f"seminar:{seminar_id}:materials:{stamp(STARTS)}:admin:{team['siti']}",
    }
    assert result.stale_total == 0

    # Switched off: nothing at all.
    async with session_factory(engine)() as session, session.begin():
        cohort = await session.get_one(Cohort, await cohort_of(engine))
        cohort.settings = {"reminders": {"seminar_materials_days": None}}
    later = await schedule(engine, team, now, starts=STARTS + timedelta(days=7))
    for day in range(12, 17):
        await run_sweep(engine, at(date(2026, 12, day), time(8), WIB))
    assert await materials(engine, later, status=None) == {}


# --- notices in linked groups -------------------------------------------------------------


async def test_linked_groups_hear_of_a_seminar_its_move_and_its_cancellation(
    engine: AsyncEngine, now: datetime
) -> None:
    team = await cast(engine, now)
    cohort_id = await cohort_of(engine)
    await import_roster(
        engine,
        now,
        f"{HEADER}\npenyelenggara,Rudi Hartono,197901012004121001,BPSDM,Analis,WIB,,,",
        cohort="PKN II Angkatan XL",
    )
    other = await cohort_of(engine, "PKN II Angkatan XL")
    await link(engine, -100999, other, now)

    # Not linked yet: no group hears of it (another cohort's group neither).
    seminar_id = await schedule(engine, team, now)
    assert await group_rows(engine) == {}

    await link(engine, GROUP, cohort_id, now)
    seminar_id = await schedule(engine, team, now, starts=STARTS + timedelta(days=2))
    queued = await group_rows(engine)
    notice = queued[f"seminar:{seminar_id}:1:notice_group:{GROUP}"]
    assert set(queued) == {notice.dedup_key}
    assert notice.group_id is not None and notice.recipient_id is None
    assert notice.cohort_id == cohort_id and notice.not_before == now
    assert notice.payload["key"] == "seminar.group.notice"
    text_ = rendered(notice)
    assert text_ == (
        "📅 <b>Jadwal seminar rancangan</b>\n"
        f"{COHORT}\n\n"
        "Waktu: Sabtu, 12 Desember 2026, 09.00 WIB\n"
        "Tempat: Aula BPSDM Lantai 2\n"
        "Penyaji: Budi Santoso, Nurhayati Umasugi"
    )
    # Nothing personal beyond the presenters: no examiner, no mentor, no NIP.
    assert set(notice.payload["params"]) == {"kind", "cohort", "where", "presenters"}
    assert set(notice.payload["moments"]) == {"at"}

    moved = STARTS + timedelta(days=3)
    await move(engine, seminar_id, moved, now + timedelta(hours=1))
    change = (await group_rows(engine))[f"seminar:{seminar_id}:2:change_group:{GROUP}"]
    assert change.payload["key"] == "seminar.group.change"
    assert "Semula: Sabtu, 12 Desember 2026, 09.00 WIB\nMenjadi: Minggu, 13 Desember 2026, " in (
        rendered(change)
    )

    await cancel(engine, seminar_id, now + timedelta(hours=2))
    gone = (await group_rows(engine))[f"seminar:{seminar_id}:3:cancel_group:{GROUP}"]
    assert gone.payload["key"] == "seminar.group.cancel"
    assert gone.status is OutboxStatus.PENDING
    assert rendered(gone, "en").startswith("❌ <b>Cancelled: seminar rancangan")
    async with session_factory(engine)() as session:
        chats = set(
            await session.scalars(
                select(CohortGroup.chat_ref).join(
                    OutboxMessage, OutboxMessage.group_id == CohortGroup.id
                )
            )
        )
    assert chats == {str(GROUP)}


async def test_the_group_and_the_presenter_receive_them_through_the_sender(
    bot: RunningBot,  # noqa: F811 - the fixture imported above
    telegram: FakeTelegram,
    engine: AsyncEngine,
    clock: ManualClock,
    now: datetime,
) -> None:
    team = await import_roster(engine, now)
    nurhayati = await join(bot, telegram, 1002, team["nurhayati"].code)
    group = telegram.group(GROUP, "Angkatan IV")
    ids = await person_ids(engine, team)
    await link(engine, GROUP, await cohort_of(engine), now)
    await schedule(engine, ids, now)
    sender = Sender(bot.app.bot, session_factory(engine), clock)
    await sender.drain_once()
    assert group.last is not None
    assert group.last.plain.startswith(f"📅 Jadwal seminar rancangan\n{COHORT}")
    assert "Waktu: Kamis, 10 Desember 2026, 09.00 WIB" in group.last.plain
    assert "Teguh" not in group.last.plain and "Bambang" not in group.last.plain

    # The 7-day reminder, late since the sender was idle, goes too; then the request.
    clock.set(at(MATERIALS_DAY, time(8), WIT))
    await run_sweep(engine, clock.now())
    for _ in range(3):
        await sender.drain_once()
        clock.advance(timedelta(seconds=5))
    asked = [m.plain for m in nurhayati.inbox if m.plain.startswith("📎 Laporan dan bahan tayang")]
    assert len(asked) == 1
    assert "Waktu: Kamis, 10 Desember 2026, 11.00 WIT" in asked[0]


def test_the_materials_offset_is_a_cohort_setting() -> None:
    assert ReminderSettings().seminar_materials_days == 3
    read = ReminderSettings.from_cohort_settings
    assert read({"reminders": {"seminar_materials_days": 2}}).seminar_materials_days == 2
    assert read({"reminders": {"seminar_materials_days": None}}).seminar_materials_days is None
    for bad in (0, 61, "3", True):
        with pytest.raises(InvalidReminderSettings, match="seminar_materials_days"):
            read({"reminders": {"seminar_materials_days": bad}})
