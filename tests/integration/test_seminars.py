"""Seminars as organizers plan them and everyone concerned hears of them: notices, reminders,
a move, a cancellation, /seminar step by step, /jadwal in each person's zone, and the CLI."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import main
from bot.cli_seminar import add_parser, run
from bot.harness import RunningBot
from bot.sender import Sender
from bot.settings import Settings
from domain.clock import ManualClock
from domain.enums import Channel, OutboxStatus, SeminarStatus
from domain.i18n import translator
from domain.timezones import WIT
from fakegram import FakeTelegram
from models import AuditEntry, Cohort, OutboxMessage, Seminar
from models.db import create_engine, session_factory
from services import groups
from services.errors import UserFacingError
from services.groups import GroupChat
from services.outbox import Outgoing
from services.seminars import (
    Organizer,
    cancel_seminar,
    reschedule_seminar,
)
from tests.conftest import ADMIN_ID
from tests.factories import COHORT, SMALL_ROSTER, add_milestones, import_roster
from tests.integration.helpers import press, say, text
from tests.integration.stories import (
    CLI,
    STARTS,
    bot,
    join,
    person_ids,
    plan,
    rendered,
)

# A fixture from the stories, which pytest finds by name in this module.
__all__ = ["bot"]

CONCERNED = ("budi", "nurhayati", "bambang", "lina", "teguh")
REMINDER_OFFSETS = {"d7": timedelta(days=7), "d1": timedelta(days=1), "h2": timedelta(hours=2)}


# --- fixtures and helpers -------------------------------------------------------------------


async def outbox(engine: AsyncEngine) -> dict[str, OutboxMessage]:
    async with session_factory(engine)() as session:
        return {m.dedup_key: m for m in await session.scalars(select(OutboxMessage))}


async def refused(engine: AsyncEngine, ids: dict[str, int], now: datetime, **kwargs: Any) -> str:
    with pytest.raises(UserFacingError) as caught:
        await plan(engine, ids, now, **kwargs)
    return translator("id")(caught.value.key, **caught.value.params)


async def count(engine: AsyncEngine, model: type) -> int:
    async with session_factory(engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


# --- the service: who hears what, and when ---------------------------------------------------


async def test_a_seminar_notifies_everyone_concerned_now_and_reminds_them_before(
    engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    ids = await person_ids(engine, team)

    seminar_id = await plan(engine, ids, now)

    queued = await outbox(engine)
    assert len(queued) == len(CONCERNED) * 4  # hasan, a mentor of nobody here, hears nothing
    for handle in CONCERNED:
        pid = ids[handle]
        notice = queued[f"seminar:{seminar_id}:1:notice:{pid}"]
        assert notice.not_before == now and notice.expires_at == STARTS
        assert notice.recipient_id == pid and notice.kind == "seminar"
        assert notice.status is OutboxStatus.PENDING
        for tag, before in REMINDER_OFFSETS.items():
            assert queued[f"seminar:{seminar_id}:1:{tag}:{pid}"].not_before == STARTS - before
    assert ids["hasan"] not in {m.recipient_id for m in queued.values()}

    # The mentor's own wording: asked once, politely, to attend.
    mentor = queued[f"seminar:{seminar_id}:1:notice:{ids['bambang']}"]
    assert mentor.payload["key"] == "seminar.msg.notice_mentor"
    assert mentor.payload["params"]["mentees"] == "Budi Santoso, Nurhayati Umasugi"
    assert rendered(mentor).count("Mohon kehadiran Bapak/Ibu selaku mentor") == 1
    assert rendered(mentor, "en").startswith(
        "📅 <b>Invitation: seminar rancangan (design seminar)</b>"
    )
    assert "We kindly ask you to attend as mentor" in rendered(mentor, "en")
    assert queued[f"seminar:{seminar_id}:1:d1:{ids['bambang']}"].payload["key"] == (
        "seminar.msg.d1_mentor"
    )
    for handle in ("budi", "lina", "teguh"):
        message = queued[f"seminar:{seminar_id}:1:notice:{ids[handle]}"]
        assert message.payload["key"] == "seminar.msg.notice"
        assert "mentor" not in rendered(message)
    # Rendered in the recipient's zone at send time: Nurhayati reads 11.00 WIT.
    notice = queued[f"seminar:{seminar_id}:1:notice:{ids['nurhayati']}"]
    assert Outgoing.from_payload(notice.payload).params["at"] == STARTS
    assert "Kamis, 10 Desember 2026, 11.00 WIT" in rendered(notice, zone=WIT)
    assert "Aula BPSDM Lantai 2" in rendered(notice)

    async with session_factory(engine)() as session:
        seminar = await session.get_one(Seminar, seminar_id)
        assert seminar.starts_at == STARTS and seminar.timezone == "Asia/Jakarta"
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "seminar.add"))
        assert entry is not None and entry.details["seminar_id"] == seminar_id
        assert entry.actor_label == "test"


async def test_reminders_already_past_are_not_planned(engine: AsyncEngine, now: datetime) -> None:
    team = await import_roster(engine, now)
    ids = await person_ids(engine, team)
    seminar_id = await plan(engine, ids, now, starts=now + timedelta(days=3))
    tags = {key.split(":")[3] for key in await outbox(engine)}
    assert tags == {"notice", "d1", "h2"}
    assert f"seminar:{seminar_id}:1:d7:{ids['budi']}" not in await outbox(engine)


async def test_nothing_is_planned_in_anyones_quiet_hours(
    engine: AsyncEngine, now: datetime
) -> None:
    """An early seminar planned late at night: 05.00 WIB is 07.00 WIT."""
    team = await import_roster(engine, now)
    ids = await person_ids(engine, team)
    night = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # 22.00 WIB, midnight WIT
    starts = datetime(2026, 12, 9, 22, 0, tzinfo=UTC)
    seminar_id = await plan(engine, ids, night, starts=starts)
    queued = await outbox(engine)

    def moments(handle: str) -> dict[str, datetime]:
        prefix = f"seminar:{seminar_id}:1:"
        return {
            k.split(":")[3]: m.not_before
            for k, m in queued.items()
            if k.startswith(prefix) and k.endswith(f":{ids[handle]}")
        }

    # Budi in Palembang: everything waits for 06.00 WIB; two hours before is 03.00 WIB, and
    # by 06.00 the seminar has begun, so the reminder of the day before was the last one.
    assert moments("budi") == {
        "notice": datetime(2026, 11, 2, 23, 0, tzinfo=UTC),
        "d7": datetime(2026, 12, 2, 23, 0, tzinfo=UTC),
        "d1": datetime(2026, 12, 8, 23, 0, tzinfo=UTC),
    }
    # Nurhayati in Sofifi: 07.00 WIT is awake; 05.00 WIT waits for 06.00 WIT.
    assert moments("nurhayati") == {
        "notice": datetime(2026, 11, 2, 21, 0, tzinfo=UTC),
        "d7": starts - timedelta(days=7),
        "d1": starts - timedelta(days=1),
        "h2": datetime(2026, 12, 9, 21, 0, tzinfo=UTC),
    }


async def test_moving_a_seminar_drops_pending_reminders_and_sends_a_change_notice(
    engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    ids = await person_ids(engine, team)
    seminar_id = await plan(engine, ids, now)
    # The notices went out already; the reminders still wait.
    async with session_factory(engine)() as session, session.begin():
        for message in await session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedup_key.contains(":notice:"))
        ):
            message.status = OutboxStatus.SENT
    later = now + timedelta(days=1)
    moved = STARTS + timedelta(days=1, hours=4)  # Friday 11 December, 13.00 WIB

    async with session_factory(engine)() as session, session.begin():
        planned = await reschedule_seminar(session, seminar_id, moved, by=CLI, now=later)
    assert (planned.recipients, planned.reminders) == (5, 15)

    queued = await outbox(engine)
    first = [m for k, m in queued.items() if k.startswith(f"seminar:{seminar_id}:1:")]
    assert {m.status for m in first if ":notice:" in m.dedup_key} == {OutboxStatus.SENT}
    assert {m.status for m in first if ":notice:" not in m.dedup_key} == {OutboxStatus.DROPPED}
    for handle in CONCERNED:
        pid = ids[handle]
        change = queued[f"seminar:{seminar_id}:2:change:{pid}"]
        assert change.not_before == later and change.status is OutboxStatus.PENDING
        params = Outgoing.from_payload(change.payload).params
        assert (params["old_at"], params["at"]) == (STARTS, moved)
        for tag, before in REMINDER_OFFSETS.items():
            assert queued[f"seminar:{seminar_id}:2:{tag}:{pid}"].not_before == moved - before
    change = queued[f"seminar:{seminar_id}:2:change:{ids['bambang']}"]
    assert change.payload["key"] == "seminar.msg.change_mentor"
    text_ = rendered(change)
    assert "Kamis, 10 Desember 2026, 09.00 WIB" in text_
    assert "Jumat, 11 Desember 2026, 13.00 WIB" in text_

    # Moved twice: the second plan replaces the second, never reviving the first.
    async with session_factory(engine)() as session, session.begin():
        await reschedule_seminar(session, seminar_id, STARTS, zone=WIT, by=CLI, now=later)
    queued = await outbox(engine)
    pending = {k for k, m in queued.items() if m.status is OutboxStatus.PENDING}
    assert {k.split(":")[2] for k in pending} == {"3"}
    assert len(pending) == 20
    async with session_factory(engine)() as session:
        assert (await session.get_one(Seminar, seminar_id)).timezone == "Asia/Jayapura"
        actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
        assert actions[-3:] == ["seminar.add", "seminar.reschedule", "seminar.reschedule"]


async def test_cancelling_tells_everyone_and_drops_every_reminder(
    engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    ids = await person_ids(engine, team)
    seminar_id = await plan(engine, ids, now)

    async with session_factory(engine)() as session, session.begin():
        planned = await cancel_seminar(session, seminar_id, by=CLI, now=now)
    assert (planned.recipients, planned.reminders) == (5, 0)

    queued = await outbox(engine)
    pending = [m for m in queued.values() if m.status is OutboxStatus.PENDING]
    assert sorted(m.dedup_key for m in pending) == sorted(
        f"seminar:{seminar_id}:2:cancel:{ids[h]}" for h in CONCERNED
    )
    assert {m.payload["key"] for m in pending} == {"seminar.msg.cancel"}
    assert all(m.expires_at == STARTS for m in pending)
    assert rendered(pending[0]).startswith("❌ <b>Pembatalan seminar rancangan</b>")
    assert {m.status for k, m in queued.items() if k.startswith(f"seminar:{seminar_id}:1:")} == {
        OutboxStatus.DROPPED
    }

    async with session_factory(engine)() as session, session.begin():
        assert (await session.get_one(Seminar, seminar_id)).status is SeminarStatus.CANCELLED
        with pytest.raises(UserFacingError) as caught:
            await cancel_seminar(session, seminar_id, by=CLI, now=now)
        assert caught.value.key == "seminar.error.cancelled"
        with pytest.raises(UserFacingError) as caught:
            await reschedule_seminar(session, seminar_id, STARTS, by=CLI, now=now)
        assert caught.value.key == "seminar.error.cancelled"
    async with session_factory(engine)() as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "seminar.cancel")
        )
        assert entry is not None and entry.details["seminar_id"] == seminar_id


async def test_bad_plans_are_refused_with_reasons_and_write_nothing(
    engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    ids = await person_ids(engine, team)
    t = translator("id")

    assert await refused(engine, ids, now, starts=now - timedelta(hours=1)) == t(
        "seminar.error.past"
    )
    assert await refused(engine, ids, now, presenters=("budi", "hasan")) == t(
        "seminar.error.not_participant", name="Ir. Hasan Basri"
    )
    assert await refused(engine, ids, now, examiner="bambang") == t(
        "seminar.error.not_examiner", name="Dr. Ir. Bambang Wijaya"
    )
    assert await refused(engine, ids, now, presenters=()) == t("seminar.error.no_presenters")
    assert await refused(engine, ids, now, place=None, link="ftp://zoom.us/j/1") == t(
        "seminar.link.error.scheme", value="ftp://zoom.us/j/1"
    )
    assert await refused(engine, ids, now, place="  ") == t("seminar.error.no_venue")
    outsider = Organizer(person_id=ids["bambang"])  # a mentor, admin of nothing
    assert await refused(engine, ids, now, by=outsider) == t("seminar.error.not_yours")
    assert await count(engine, Seminar) == 0 and await count(engine, OutboxMessage) == 0

    # Budi cannot present twice within two hours; two hours later he can.
    first = await plan(engine, ids, now, presenters=("budi",))
    message = await refused(engine, ids, now, starts=STARTS + timedelta(hours=1, minutes=59))
    assert message == t(
        "seminar.error.double_booked", name="Budi Santoso", id=first, kind="rancangan", hours=2
    )
    await plan(engine, ids, now, starts=STARTS + timedelta(hours=2))
    assert await count(engine, Seminar) == 2


# --- /seminar and /jadwal through the bot ----------------------------------------------------


async def test_an_admin_plans_a_seminar_step_by_step(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, clock: ManualClock
) -> None:
    team = await import_roster(engine, now)
    ids = await person_ids(engine, team)
    nurhayati = await join(bot, telegram, 1002, team["nurhayati"].code)
    bambang = await join(bot, telegram, 1005, team["bambang"].code)
    admin = telegram.user(ADMIN_ID, "Siti", "Penyelenggara")

    asked = await say(bot, admin, "/seminar")  # one cohort: no need to choose it
    assert asked.plain == text("seminar.ask.kind", cohort=COHORT)
    assert asked.button_texts == ["Seminar rancangan", "Seminar evaluasi"]
    await press(bot, admin, asked, "Seminar rancangan")
    assert admin.last.plain == text("seminar.ask.date")

    reply = await say(bot, admin, "31/02/2027")
    assert reply.plain == text("date.error.impossible", value="31/02/2027")
    reply = await say(bot, admin, "1/11/2026")
    assert reply.plain == text("date.error.past", date="Minggu, 1 November 2026")
    reply = await say(bot, admin, "10/12/2026")
    assert reply.plain == text("seminar.ask.time", date="Kamis, 10 Desember 2026")

    reply = await say(bot, admin, "25.00")
    assert reply.plain == text("seminar.time.error.out_of_range", value="25.00")
    reply = await say(bot, admin, "9.00 WIB")
    assert reply.plain == text("seminar.time.error.not_understood", value="9.00 WIB")
    zones = await say(bot, admin, "9.00")
    assert zones.button_texts == ["WIB (zona Bapak/Ibu)", "WITA", "WIT"]
    await press(bot, admin, zones, "WIB (zona Bapak/Ibu)")
    assert admin.inbox[-2].plain == text("seminar.chosen", value="09.00 WIB")
    assert admin.last.plain == text("seminar.ask.place")

    reply = await say(bot, admin, "ftp://zoom.us/j/123")
    assert reply.plain == text("seminar.link.error.scheme", value="ftp://zoom.us/j/123")
    reply = await say(bot, admin, "https://zoom")
    assert reply.plain == text("seminar.link.error.host", value="https://zoom")
    choose = await say(bot, admin, "https://zoom.us/j/123456789")
    assert choose.plain == text("seminar.ask.presenters")

    toast = await press(bot, admin, choose, "✅ Selesai (0)")  # nobody chosen yet
    assert toast is not None and toast.text == text("seminar.error.no_presenters")
    assert admin.last.message_id == choose.message_id
    await press(bot, admin, choose, "▫️ Budi Santoso")
    await press(bot, admin, choose, "▫️ Nurhayati Umasugi")
    await press(bot, admin, choose, "☑️ Nurhayati Umasugi")  # changed her mind
    await press(bot, admin, choose, "▫️ Nurhayati Umasugi")
    await press(bot, admin, choose, "✅ Selesai (2)")
    examiners = admin.last
    assert examiners.plain == text("seminar.ask.examiner")
    assert examiners.button_texts == ["Prof. Teguh Santoso"]
    await press(bot, admin, examiners, "Prof. Teguh Santoso")

    summary = admin.last
    assert summary.plain == text(
        "seminar.summary",
        kind="Seminar rancangan",
        cohort=COHORT,
        at="Kamis, 10 Desember 2026, 09.00 WIB",
        where="https://zoom.us/j/123456789",
        presenters="Budi Santoso, Nurhayati Umasugi",
        examiner="Prof. Teguh Santoso",
    )
    await press(bot, admin, summary, "Simpan")
    assert admin.last.plain == text("seminar.saved", id=1, recipients=5, reminders=15)

    async with session_factory(engine)() as session:
        seminar = await session.get_one(Seminar, 1)
        assert seminar.starts_at == STARTS and seminar.online_link == "https://zoom.us/j/123456789"
        assert seminar.place is None and seminar.examiner_id == ids["teguh"]
    queued = await outbox(engine)
    assert len(queued) == 20
    assert queued[f"seminar:1:1:notice:{ids['bambang']}"].payload["key"] == (
        "seminar.msg.notice_mentor"
    )

    # The sender delivers the notices: each in the recipient's zone, the mentor's his own.
    sender = Sender(bot.app.bot, session_factory(engine), clock)
    await sender.drain_once()
    assert nurhayati.last.plain.startswith("📅 Undangan seminar rancangan\nPKP Angkatan IV")
    assert "Waktu: Kamis, 10 Desember 2026, 11.00 WIT" in nurhayati.last.plain
    assert bambang.last.plain.startswith("📅 Undangan seminar rancangan\nPKP Angkatan IV")
    assert "Mohon kehadiran Bapak/Ibu selaku mentor" in bambang.last.plain
    assert "Waktu: Kamis, 10 Desember 2026, 09.00 WIB" in bambang.last.plain
    # Two hours before; the sender was down since the notice: the stale reminders are dropped.
    clock.set(STARTS - timedelta(hours=2))
    await sender.drain_once()
    assert nurhayati.last.plain.startswith("⏰ Pengingat: seminar rancangan dimulai 2 jam lagi")
    assert bambang.last.plain.endswith("Mohon kehadiran Bapak/Ibu selaku mentor.")
    statuses = {k: m.status for k, m in (await outbox(engine)).items()}
    assert statuses[f"seminar:1:1:d1:{ids['nurhayati']}"] is OutboxStatus.DROPPED
    assert statuses[f"seminar:1:1:h2:{ids['nurhayati']}"] is OutboxStatus.SENT


async def test_only_admins_may_plan_and_a_past_hour_today_is_refused(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    reply = await say(bot, budi, "/seminar")
    assert reply.plain == text("access.role_required", roles="Penyelenggara")

    admin = telegram.user(ADMIN_ID, "Siti")
    await say(bot, admin, "/seminar")
    await press(bot, admin, admin.last, "Seminar evaluasi")
    await say(bot, admin, "hari ini")  # 2 November; it is 08.00 WIB
    zones = await say(bot, admin, "07.30")
    await press(bot, admin, zones, "WIB (zona Bapak/Ibu)")
    assert admin.inbox[-2].plain == text("seminar.error.past")
    assert admin.last.plain == text("seminar.ask.date")
    reply = await say(bot, admin, "/status")
    assert reply.plain == text("conversation.busy")
    reply = await say(bot, admin, "/batal")
    assert reply.plain == text("conversation.cancelled")
    assert await count(engine, Seminar) == 0


async def test_schedule_shows_each_person_the_time_in_their_own_zone(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    ids = await person_ids(engine, team)
    await add_milestones(engine, team["nurhayati"].nip, now, [("Uji coba posyandu", 10)])
    await plan(engine, ids, now, place="Aula BPSDM Lantai 2")
    nurhayati = await join(bot, telegram, 1002, team["nurhayati"].code)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    bambang = await join(bot, telegram, 1005, team["bambang"].code)

    schedule = await say(bot, nurhayati, "/jadwal")
    assert "Kamis, 10 Desember 2026, 11.00 WIT" in schedule.plain
    assert "Aula BPSDM Lantai 2" in schedule.plain
    assert "Bapak/Ibu hadir sebagai: Peserta" in schedule.plain
    assert text(
        "seminar.agenda.milestone", date="Kamis, 12 November 2026", title="Uji coba posyandu"
    ) in (schedule.plain)
    assert schedule.button_texts == []  # participants cannot move seminars

    assert "Kamis, 10 Desember 2026, 09.00 WIB" in (await say(bot, budi, "/jadwal")).plain
    mentor_view = await say(bot, bambang, "/jadwal")
    assert "Bapak/Ibu hadir sebagai: Mentor" in mentor_view.plain
    assert text("seminar.agenda.mentor_note") in mentor_view.plain

    hasan = await join(bot, telegram, 1007, team["hasan"].code)
    assert (await say(bot, hasan, "/jadwal")).plain == "\n".join(
        [text("seminar.agenda.title"), "", text("seminar.agenda.empty")]
    )


async def test_an_admin_moves_then_cancels_a_seminar_with_the_buttons(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, clock: ManualClock
) -> None:
    team = await import_roster(engine, now)
    ids = await person_ids(engine, team)
    seminar_id = await plan(engine, ids, now)
    admin = telegram.user(ADMIN_ID, "Siti")

    await say(bot, admin, "/seminar")
    listing = admin.inbox[-2]
    assert (
        f"#{seminar_id}" in listing.plain and "Kamis, 10 Desember 2026, 09.00 WIB" in listing.plain
    )
    assert listing.button_texts == [
        f"🕒 Ubah jadwal #{seminar_id}",
        f"✖️ Batalkan #{seminar_id}",
        f"📋 Rincian #{seminar_id}",
    ]
    # Pressing a button mid-way leaves the new seminar and moves this one instead.
    await press(bot, admin, listing, f"🕒 Ubah jadwal #{seminar_id}")
    assert admin.last.plain == text(
        "seminar.ask.new_date",
        id=seminar_id,
        kind="Seminar rancangan",
        at="Kamis, 10 Desember 2026, 09.00 WIB",
    )
    reply = await say(bot, admin, "11 Des")
    assert reply.plain == text("seminar.ask.new_time", date="Jumat, 11 Desember 2026", zone="WIB")
    confirm = await say(bot, admin, "13.00")
    assert confirm.plain == text(
        "seminar.confirm.reschedule",
        id=seminar_id,
        kind="Seminar rancangan",
        old_at="Kamis, 10 Desember 2026, 09.00 WIB",
        at="Jumat, 11 Desember 2026, 13.00 WIB",
    )
    await press(bot, admin, confirm, "Simpan")
    assert admin.last.plain == text(
        "seminar.rescheduled", id=seminar_id, recipients=5, reminders=15
    )
    moved = STARTS + timedelta(days=1, hours=4)
    queued = await outbox(engine)
    assert queued[f"seminar:{seminar_id}:2:change:{ids['lina']}"].status is OutboxStatus.PENDING
    assert queued[f"seminar:{seminar_id}:2:h2:{ids['lina']}"].not_before == moved - timedelta(
        hours=2
    )
    assert queued[f"seminar:{seminar_id}:1:d7:{ids['lina']}"].status is OutboxStatus.DROPPED

    # From /jadwal, which shows an admin every seminar with the same buttons.
    clock.advance(timedelta(days=3))
    schedule = await say(bot, admin, "/jadwal")
    assert "Jumat, 11 Desember 2026, 13.00 WIB" in schedule.plain
    assert "Bapak/Ibu hadir sebagai: Penyelenggara" in schedule.plain
    await press(bot, admin, schedule, f"✖️ Batalkan #{seminar_id}")
    confirm = admin.last
    await press(bot, admin, confirm, "Tidak jadi")
    assert admin.last.plain == text("seminar.kept", id=seminar_id)
    await press(bot, admin, schedule, f"✖️ Batalkan #{seminar_id}")
    await press(bot, admin, admin.last, "Ya, batalkan seminar")
    assert admin.last.plain == text("seminar.cancelled", id=seminar_id, recipients=5)

    queued = await outbox(engine)
    pending = sorted(k for k, m in queued.items() if m.status is OutboxStatus.PENDING)
    assert pending == sorted(f"seminar:{seminar_id}:3:cancel:{ids[h]}" for h in CONCERNED)
    assert queued[pending[0]].not_before == clock.now()
    # A cancelled seminar's button is refused, not acted on.
    answer = await press(bot, admin, schedule, f"🕒 Ubah jadwal #{seminar_id}")
    assert answer is not None and answer.text == text("seminar.error.cancelled", id=seminar_id)
    assert (await say(bot, admin, "/jadwal")).plain.endswith(text("seminar.agenda.empty"))


async def test_a_forged_button_for_another_cohort_is_refused(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    ids = await person_ids(engine, team)
    seminar_id = await plan(engine, ids, now)
    # Lina is a coach, not an admin: the button does nothing for her.
    lina = await join(bot, telegram, 1006, team["lina"].code)
    schedule = await say(bot, lina, "/jadwal")
    lina.press_data(schedule, f"sm1:x:{seminar_id}")
    await bot.settle()
    assert lina.last.plain == schedule.plain
    async with session_factory(engine)() as session:
        seminar = await session.get_one(Seminar, seminar_id)
        assert seminar.status is SeminarStatus.SCHEDULED


# --- properbot seminar ------------------------------------------------------------------------


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean working folder (no stray .env) with DATABASE_URL pointing at the test database."""
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_ROOT", "ADMIN_TELEGRAM_IDS", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "id")
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "properbot_test_bot")
    roster = tmp_path / "roster.csv"
    roster.write_text(SMALL_ROSTER, encoding="utf-8")
    assert main(["cohort", "import", str(roster), "--cohort", COHORT]) == 0
    return tmp_path


def seminar_cli(args: list[str], now: datetime) -> int:
    parser = argparse.ArgumentParser(prog="properbot")
    add_parser(parser.add_subparsers(dest="command", required=True))
    settings = Settings.load()
    return asyncio.run(
        run(
            parser.parse_args(["seminar", *args]),
            settings,
            translator("id"),
            clock=ManualClock(now),
        )
    )


def cli_outbox(database_url: str) -> dict[str, OutboxMessage]:
    async def read() -> dict[str, OutboxMessage]:
        engine = create_engine(database_url)
        try:
            return await outbox(engine)
        finally:
            await engine.dispose()

    return asyncio.run(read())


NIPS = {
    "budi": "19800115 200501 1 001",
    "nurhayati": "198203102006042002",
    "teguh": "196808081994031005",
    "hasan": "198512122010011006",
}


def test_the_organizer_is_told_when_linked_groups_hear_of_it_too(
    cli_env: Path, database_url: str, capsys: pytest.CaptureFixture[str], now: datetime
) -> None:
    async def link_a_group() -> None:
        engine = create_engine(database_url)
        try:
            async with session_factory(engine)() as session, session.begin():
                cohort_id = await session.scalar(select(Cohort.id).where(Cohort.name == COHORT))
                assert cohort_id is not None
                await groups.link_group(
                    session,
                    cohort_id=cohort_id,
                    chat=GroupChat(Channel.TELEGRAM, "-100555"),
                    title="Grup PKP IV",
                    by_person_id=None,
                    now=now,
                )
        finally:
            await engine.dispose()

    t = translator("id")
    told = t("seminar.groups_told", groups=1)
    args = ["add", "--cohort", COHORT, "--kind", "rancangan", "--at", "2026-12-10 09:00"]
    args += ["--zone", "WIB", "--place", "Aula", "--presenters", NIPS["budi"]]
    args += ["--examiner", NIPS["teguh"]]
    assert seminar_cli(args, now) == 0
    assert told not in capsys.readouterr().out  # no group linked yet

    asyncio.run(link_a_group())
    assert seminar_cli([*args[:6], "2026-12-11 09:00", *args[7:]], now) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == told
    assert seminar_cli(["cancel", "2", "--yes"], now) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == told


def test_the_command_line_adds_lists_moves_and_cancels(
    cli_env: Path, database_url: str, capsys: pytest.CaptureFixture[str], now: datetime
) -> None:
    t = translator("id")
    assert seminar_cli(
        [
            "add", "--cohort", COHORT, "--kind", "evaluasi", "--at", "2026-12-10 11:00",
            "--zone", "WIT", "--place", "Aula Dinkes Malut",
            "--presenters", f"{NIPS['budi']},{NIPS['nurhayati']}", "--examiner", NIPS["teguh"],
        ],
        now,
    ) == 0  # fmt: skip
    assert capsys.readouterr().out.strip() == t(
        "seminar.cli.added",
        id=1,
        kind="Seminar evaluasi",
        cohort=COHORT,
        at="Kamis, 10 Desember 2026, 11.00 WIT",
        recipients=5,
        reminders=15,
    )
    queued = cli_outbox(database_url)
    assert len(queued) == 20
    assert {m.not_before for k, m in queued.items() if ":d7:" in k} == {STARTS - timedelta(days=7)}

    assert seminar_cli(["list", "--cohort", COHORT], now) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("#1  Seminar evaluasi  Kamis, 10 Desember 2026, 11.00 WIT")
    assert "Aula Dinkes Malut" in line and "(terjadwal)" in line

    assert seminar_cli(["reschedule", "1", "--at", "2026-12-11 13:00"], now) == 0
    assert capsys.readouterr().out.strip() == t(
        "seminar.cli.rescheduled",
        id=1,
        old_at="Kamis, 10 Desember 2026, 11.00 WIT",
        at="Jumat, 11 Desember 2026, 13.00 WIT",
        recipients=5,
        reminders=15,
    )
    assert sum(1 for k in cli_outbox(database_url) if k.startswith("seminar:1:2:change:")) == 5

    assert seminar_cli(["cancel", "1"], now) == 2
    assert capsys.readouterr().err.strip() == t("seminar.cli.confirm_needed", id=1)
    assert seminar_cli(["cancel", "1", "--yes"], now) == 0
    assert capsys.readouterr().out.strip() == t("seminar.cli.cancelled", id=1, recipients=5)
    assert seminar_cli(["list", "--cohort", COHORT], now) == 0
    assert capsys.readouterr().out.strip() == t("seminar.cli.none", cohort=COHORT)
    assert seminar_cli(["list", "--cohort", COHORT, "--all"], now) == 0
    assert "(dibatalkan)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "key", "params"),
    [
        (
            {"--cohort": "Angkatan Lain"},
            "error.cohort.unknown_suggest",
            {"name": "Angkatan Lain", "suggestion": COHORT, "known": COHORT},
        ),
        ({"--at": "2026-10-01 09:00"}, "seminar.error.past", {}),
        ({"--at": "2026-12-10"}, "seminar.moment.error.shape", {"value": "2026-12-10"}),
        ({"--at": "2026-12-10 9.75"}, "seminar.time.error.out_of_range", {"value": "9.75"}),
        ({"--zone": "Mars/Olympus"}, "zone.error.unknown", {"value": "Mars/Olympus"}),
        ({"--examiner": NIPS["hasan"]}, "seminar.error.not_examiner", {"name": "Ir. Hasan Basri"}),
        ({"--presenters": "12345"}, "seminar.error.bad_nip", {"value": "12345"}),
        (
            {"--presenters": "199001012015011099"},
            "seminar.error.unknown_nip",
            {"value": "199001012015011099"},
        ),
    ],
)
def test_command_line_errors_are_one_line_with_status_two(
    cli_env: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    now: datetime,
    change: dict[str, str],
    key: str,
    params: dict[str, object],
) -> None:
    options = {
        "--cohort": COHORT,
        "--kind": "rancangan",
        "--at": "2026-12-10 09:00",
        "--presenters": NIPS["budi"],
        "--examiner": NIPS["teguh"],
        **change,
    }
    args = ["add", *[part for pair in options.items() for part in pair], "--place", "Aula"]
    assert seminar_cli(args, now) == 2
    err = capsys.readouterr().err.strip()
    assert err == translator("id")(key, **params)
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert cli_outbox(database_url) == {}


def test_the_link_is_checked_and_the_past_cannot_be_moved_to(
    cli_env: Path, database_url: str, capsys: pytest.CaptureFixture[str], now: datetime
) -> None:
    t = translator("id")
    base = ["add", "--cohort", COHORT, "--kind", "rancangan", "--at", "2026-12-10 09:00",
            "--presenters", NIPS["budi"], "--examiner", NIPS["teguh"]]  # fmt: skip
    assert seminar_cli([*base, "--link", "zoom.us/j/1"], now) == 2
    assert capsys.readouterr().err.strip() == t("seminar.link.error.scheme", value="zoom.us/j/1")
    assert seminar_cli([*base, "--link", "https://zoom.us/j/1"], now) == 0
    capsys.readouterr()
    assert seminar_cli(["reschedule", "1", "--at", "2026-11-01 09:00"], now) == 2
    assert capsys.readouterr().err.strip() == t("seminar.error.past")
    assert seminar_cli(["reschedule", "7", "--at", "2026-12-12 09:00"], now) == 2
    assert capsys.readouterr().err.strip() == t("seminar.error.unknown", id=7)


@pytest.mark.parametrize("action", ["add", "list", "reschedule", "cancel"])
def test_every_seminar_action_has_help(action: str, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="properbot")
    add_parser(parser.add_subparsers(dest="command", required=True))
    with pytest.raises(SystemExit) as done:
        parser.parse_args(["seminar", action, "--help"])
    assert done.value.code == 0
    assert "usage: properbot seminar" in capsys.readouterr().out
