"""Reports reviewed from the advisors' side: a feedback reminder queued before its minute never
says a report waits when it was answered, signed off or sent back meanwhile, and carries the
words of a correction made meanwhile; a correction and an approval of the same report never
both win."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from domain.clock import ManualClock
from domain.enums import FeedbackKind, OutboxStatus, UpdateStatus
from fakegram import FakeTelegram
from models import Assignment, OutboxMessage
from models.db import session_factory
from services import reports
from services.errors import UserFacingError
from services.reminders import sweep
from tests.integration.helpers import press, say, text
from tests.integration.stories import (
    ACK,
    CORRECT,
    finish_report,
    lapor,
    newest_report,
    notes,
    person_id,
    photo_bytes,
    set_reminder_settings,
    start_report,
)
from tests.integration.stories import followup_cast as cast

WAITING = "Laporan menunggu tanggapan"
NIP_BAMBANG = "197005051995031003"


async def plan_feedback_reminders(engine: AsyncEngine, clock: ManualClock) -> None:
    """The sweep a few minutes before 08.00: the reminders are queued, not yet sent."""
    async with session_factory(engine)() as session, session.begin():
        result = await sweep(session, clock.now())
    assert result.planned["feedback_wait"] == 2


async def feedback_reminders(engine: AsyncEngine) -> dict[int, OutboxStatus]:
    async with session_factory(engine)() as session:
        rows = await session.execute(
            select(OutboxMessage.recipient_id, OutboxMessage.status).where(
                OutboxMessage.kind == "feedback_wait"
            )
        )
        return {recipient: status for recipient, status in rows.tuples() if recipient}


async def test_a_report_signed_off_before_its_reminder_goes_is_not_announced_as_waiting(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, clock: ManualClock
) -> None:
    start = clock.now()
    budi, bambang, lina, _, _, _ = await cast(bot, telegram, engine, start)
    await lapor(bot, budi, "Aplikasi aduan berjalan di semua kelurahan.", percent="100%")
    relay = bambang.last

    clock.set(start + timedelta(days=3) - timedelta(minutes=5))
    await plan_feedback_reminders(engine, clock)
    clock.advance(timedelta(minutes=2))
    await press(bot, bambang, relay, "✅ Setujui")
    clock.set(start + timedelta(days=3))
    await bot.deliver()

    assert not any(WAITING in (m.plain or "") for m in bambang.inbox + lina.inbox)
    assert set((await feedback_reminders(engine)).values()) == {OutboxStatus.DROPPED}


async def test_read_before_the_reminder_goes_spares_that_advisor_only(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, clock: ManualClock
) -> None:
    start = clock.now()
    budi, bambang, lina, _, _, _ = await cast(bot, telegram, engine, start)
    await lapor(bot, budi, "Rapat perdana tim efektif.")
    relay = bambang.last

    clock.set(start + timedelta(days=3) - timedelta(minutes=5))
    await plan_feedback_reminders(engine, clock)
    await press(bot, bambang, relay, ACK)
    clock.set(start + timedelta(days=3))
    await bot.deliver()

    assert not any(WAITING in (m.plain or "") for m in bambang.inbox)
    assert WAITING in lina.last.plain  # the coach has not answered: she is still reminded
    bambang_id = await person_id(engine, NIP_BAMBANG)
    assert (await feedback_reminders(engine))[bambang_id] is OutboxStatus.DROPPED


async def test_a_reminder_queued_before_a_correction_carries_the_corrected_words(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, clock: ManualClock
) -> None:
    start = clock.now()  # 08.00 WIB
    budi, bambang, lina, _, _, _ = await cast(bot, telegram, engine, start)
    await set_reminder_settings(engine, {"feedback_after_days": 1})
    receipt = await lapor(bot, budi, "Sosialisasi ke 21 OPD.", obstacles="Hujan deras.")

    # The reminder for 08.00 the next day is queued at 07.55; Budi corrects at 07.57, within
    # his 24 hours.
    clock.set(start + timedelta(days=1) - timedelta(minutes=5))
    await plan_feedback_reminders(engine, clock)
    clock.advance(timedelta(minutes=2))
    await press(bot, budi, receipt, CORRECT)
    await say(bot, budi, "Sosialisasi ke 12 OPD.")
    await say(bot, budi, "Dua OPD belum hadir.")
    await press(bot, budi, budi.last, "Lewati")
    assert budi.last.plain.startswith("✅ Koreksi laporan")
    clock.set(start + timedelta(days=1))
    await bot.deliver()

    for advisor in (bambang, lina):
        reminder = advisor.last.plain
        assert WAITING in reminder
        assert "Sosialisasi ke 12 OPD." in reminder and "21 OPD" not in reminder
        assert "Kendala: Dua OPD belum hadir." in reminder and "Hujan" not in reminder


# PostgreSQL only: SQLite has one writer, so two transactions cannot both write the report.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("first", ["approval", "correction"])
async def test_a_correction_racing_an_approval_never_changes_an_approved_report(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    clock: ManualClock,
    first: str,
) -> None:
    assert engine.dialect.name == "postgresql"
    start = clock.now()
    budi, _, _, _, _, _ = await cast(bot, telegram, engine, start)
    await lapor(bot, budi, "Semua kelurahan sudah memakai aplikasi.", percent="100%")
    report = await newest_report(engine)
    bambang_id = await person_id(engine, NIP_BAMBANG)
    now = start + timedelta(hours=1)
    sessions = session_factory(engine)

    async def approve() -> None:
        async with sessions() as session, session.begin():
            await reports.approve(session, bambang_id, report.id, now)
            await hold.wait()

    async def correct() -> None:
        async with sessions() as session, session.begin():
            await reports.correct_report(
                session,
                report.author_id,
                report.id,
                text="Semua kelurahan kecuali satu.",
                obstacles=None,
                next_steps=None,
                now=now,
            )
            await hold.wait()

    # The first one has written, not committed, when the second one starts.
    hold = asyncio.Event()
    runs = {"approval": approve, "correction": correct}
    leading = asyncio.create_task(runs[first]())
    await asyncio.sleep(0.3)
    second = "correction" if first == "approval" else "approval"
    following = asyncio.create_task(runs[second]())
    await asyncio.sleep(0.3)
    assert not following.done()  # waits for the report's row
    hold.set()
    await leading
    if first == "approval":
        with pytest.raises(UserFacingError) as refused:
            await following
        assert refused.value.key == "correction.error.approved"
        expected_text = "Semua kelurahan sudah memakai aplikasi."
    else:
        await following  # the mentor signs off the corrected words
        expected_text = "Semua kelurahan kecuali satu."
    after = await newest_report(engine)
    assert (after.status, after.text) == (UpdateStatus.APPROVED, expected_text)


async def test_a_download_failing_mid_album_leaves_the_true_count_last(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, clock: ManualClock
) -> None:
    budi, _, _, _, _, _ = await cast(bot, telegram, engine, clock.now())
    await start_report(bot, budi, "Peluncuran aplikasi aduan.")
    await press(bot, budi, budi.last, "Lewati")  # kendala
    await press(bot, budi, budi.last, "Lewati")  # rencana berikutnya
    album = budi.send_album([("photo", photo_bytes((n, n, n)), None) for n in (10, 20, 30)])
    assert album[1].file_id is not None
    telegram.files.forget(album[1].file_id)  # the second photo cannot be downloaded
    await bot.settle()

    # The reason for the second, then the count as it stands after the third: two files.
    prompts = [m.plain for m in budi.inbox if "Sudah diterima" in (m.plain or "")]
    assert prompts[-2].startswith(text("report.evidence.download_failed"))
    assert "Sudah diterima: 2 berkas" in prompts[-1]
    await finish_report(bot, budi)
    assert "Bukti dukung: 2 foto, 0 dokumen" in budi.last.plain  # the receipt reads it back


async def test_read_by_a_mentor_no_longer_assigned_is_refused_and_nobody_is_told(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, clock: ManualClock
) -> None:
    budi, bambang, _, _, _, _ = await cast(bot, telegram, engine, clock.now())
    await lapor(bot, budi, "Rapat perdana tim efektif.")
    relay = bambang.last
    bambang_id = await person_id(engine, NIP_BAMBANG)
    async with session_factory(engine)() as session, session.begin():
        await session.execute(delete(Assignment).where(Assignment.advisor_id == bambang_id))
    told_before = len(budi.inbox)

    answer = await press(bot, bambang, relay, ACK)

    assert answer is not None and answer.text == text("access.not_yours")
    assert await notes(engine, FeedbackKind.ACKNOWLEDGED) == []
    assert len(budi.inbox) == told_before
