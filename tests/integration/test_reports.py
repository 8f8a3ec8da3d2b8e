"""Progress reports and the feedback loop, as participants, mentors and coaches live them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from domain.enums import FeedbackKind, MilestoneStatus, UpdateStatus
from fakegram import FakeTelegram
from models import Evidence, FeedbackNote, Milestone, ProgressUpdate
from models.db import session_factory
from tests.integration.helpers import press, press_data, say, text
from tests.integration.stories import cast, report


async def count(engine: AsyncEngine, model: type) -> int:
    async with session_factory(engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_report_with_a_photo_reaches_mentor_and_coach_who_answer_by_reply(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, bambang, lina, _ = await cast(bot, telegram, engine, now)

    await report(
        bot,
        budi,
        "Rapat koordinasi",
        "Rapat perdana tim efektif sudah terlaksana.",
        "60%",
        photos=1,
    )

    assert budi.last.plain.startswith("✅ Laporan tersimpan")
    for advisor in (bambang, lina):
        photo, relay = advisor.inbox[-2], advisor.inbox[-1]
        assert photo.kind == "photo"
        assert "Laporan kemajuan dari Budi Santoso" in relay.plain
        assert "Rapat perdana tim efektif sudah terlaksana." in relay.plain
        # No approval at 60%.
        assert relay.button_texts == ["💬 Beri umpan balik", "👍 Sudah dibaca", "✏️ Minta revisi"]
    async with session_factory(engine)() as session:
        update = await session.scalar(select(ProgressUpdate))
        assert update is not None and update.progress_percent == 60
        milestone = await session.get_one(Milestone, update.milestone_id)
        assert milestone.progress_percent == 60 and milestone.status is MilestoneStatus.IN_PROGRESS
    assert await count(engine, Evidence) == 1

    # The mentor answers with a Telegram reply; the participant gets it quoting the report.
    bambang.send("Bagus, lanjutkan dengan SK tim efektif.", reply_to=bambang.inbox[-1])
    await bot.settle()
    assert bambang.last.plain == text("note.sent", relation="Peserta", name="Budi Santoso")
    feedback = budi.last
    assert "Umpan balik dari Mentor Dr. Ir. Bambang Wijaya" in feedback.plain
    assert "Rapat perdana tim efektif" in feedback.plain  # the quote
    assert "Bagus, lanjutkan dengan SK tim efektif." in feedback.plain

    # The participant answers the feedback; it goes back to the mentor, not to the coach.
    coach_inbox = len(lina.inbox)
    budi.send("Siap, SK sedang diproses.", reply_to=feedback)
    await bot.settle()
    assert "Tanggapan dari Budi Santoso" in bambang.last.plain
    assert "Siap, SK sedang diproses." in bambang.last.plain
    assert len(lina.inbox) == coach_inbox
    async with session_factory(engine)() as session:
        notes = list(await session.scalars(select(FeedbackNote).order_by(FeedbackNote.id)))
        assert [n.kind for n in notes] == [FeedbackKind.FEEDBACK, FeedbackKind.REPLY]
        assert notes[1].parent_id == notes[0].id

    # The mentor replies to the participant's answer: the thread goes on.
    bambang.send("Terima kasih.", reply_to=bambang.last)
    await bot.settle()
    assert "Terima kasih." in budi.last.plain


async def test_the_mentor_approves_a_complete_milestone_once(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, bambang, lina, _ = await cast(bot, telegram, engine, now)
    await report(bot, budi, "Rapat koordinasi", "Seluruh rapat selesai.", "100%")

    relay = bambang.last
    assert relay.button_texts[0] == "✅ Setujui"
    assert "✅ Setujui" not in lina.last.button_texts  # signing off is the mentor's call

    answer = await press(bot, bambang, relay, "✅ Setujui")
    assert answer is not None and answer.text == text("feedback.approved_toast")
    assert "disetujui oleh Mentor Dr. Ir. Bambang Wijaya" in budi.last.plain
    async with session_factory(engine)() as session:
        milestone = await session.scalar(
            select(Milestone).where(Milestone.status == MilestoneStatus.APPROVED)
        )
        assert milestone is not None and milestone.approved_at == now

    # The button is gone; replaying its data on the same message changes nothing.
    assert relay.button_texts == []
    answer = await press_data(bot, bambang, relay, "fb1:a:1")
    assert answer is not None and answer.text == text("button.stale")
    assert await count(engine, FeedbackNote) == 1


async def test_asking_for_a_revision_sends_the_reason(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, bambang, lina, _ = await cast(bot, telegram, engine, now)
    await report(bot, budi, "Rapat koordinasi", "Rapat selesai.", "100%")

    await press(bot, lina, lina.last, "✏️ Minta revisi")
    assert lina.last.plain == text("feedback.ask_revision")
    await say(bot, lina, "Lampirkan daftar hadir rapat.")

    assert (
        "meminta revisi" in budi.last.plain and "Lampirkan daftar hadir rapat." in budi.last.plain
    )
    async with session_factory(engine)() as session:
        update = await session.scalar(select(ProgressUpdate))
        assert update is not None and update.status is UpdateStatus.REVISION_REQUESTED
    # The mentor's approval button is now stale: the report is no longer awaiting a decision.
    answer = await press(bot, bambang, bambang.last, "✅ Setujui")
    assert answer is not None and answer.text == text("button.stale")


async def test_batal_while_writing_a_revision_sends_nothing(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, _, lina, _ = await cast(bot, telegram, engine, now)
    await report(bot, budi, "Rapat koordinasi", "Rapat selesai.", "100%")
    budi_seen = len(budi.inbox)

    await press(bot, lina, lina.last, "✏️ Minta revisi")
    assert lina.last.plain == text("feedback.ask_revision")
    # Another command waits for the note; /batal leaves, and only once.
    assert (await say(bot, lina, "/profil")).plain == text("conversation.busy")
    assert (await say(bot, lina, "/batal")).plain == text("conversation.cancelled")
    assert (await say(bot, lina, "/batal")).plain == text("conversation.nothing_to_cancel")

    assert len(budi.inbox) == budi_seen
    assert await count(engine, FeedbackNote) == 0
    async with session_factory(engine)() as session:
        update = await session.scalar(select(ProgressUpdate))
        assert update is not None and update.status is UpdateStatus.SUBMITTED
