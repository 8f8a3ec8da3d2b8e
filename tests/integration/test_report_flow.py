"""/lapor beyond the happy path: albums, stray messages, changes, cancel, restart, bad input."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot, running_bot
from bot.settings import Settings
from domain.clock import ManualClock
from domain.enums import MilestoneStatus
from fakegram import TINY_JPEG, FakeTelegram
from models import Evidence, Milestone, ProgressUpdate, Project
from models.db import session_factory
from services.projects import remove_milestone
from tests.factories import add_milestones, import_roster
from tests.integration.helpers import press, say, text
from tests.integration.stories import join


async def setup(bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime):  # type: ignore[no-untyped-def]
    team = await import_roster(engine, now)
    milestones = await add_milestones(engine, team["budi"].nip, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    bambang = await join(bot, telegram, 1005, team["bambang"].code)
    return budi, bambang, milestones


async def reports_in_db(engine: AsyncEngine) -> int:
    async with session_factory(engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(ProgressUpdate)) or 0)


async def start_report(bot: RunningBot, budi: Any, words: str = "Sosialisasi ke 12 OPD.") -> None:
    chooser = await say(bot, budi, "/lapor")
    await press(bot, budi, chooser, chooser.button_texts[0])
    await say(bot, budi, words)
    await press(bot, budi, budi.last, "Lewati")  # kendala
    await press(bot, budi, budi.last, "Lewati")  # rencana berikutnya


async def test_an_album_is_one_step_and_reaches_the_mentor_as_an_album(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, bambang, _ = await setup(bot, telegram, engine, now)
    await start_report(bot, budi)
    before = len(budi.inbox)

    budi.send_album(
        [("photo", TINY_JPEG, "Rapat 1"), ("photo", TINY_JPEG, None), ("photo", TINY_JPEG, None)]
    )
    await bot.settle()

    assert len(budi.inbox) == before + 1  # one acknowledgement for the whole album
    await press(bot, budi, budi.last, "Selesai")
    await press(bot, budi, budi.last, "70%")
    assert "3 foto, 0 dokumen" in budi.last.plain
    await press(bot, budi, budi.last, "Kirim")

    album = [m for m in bambang.inbox if m.media_group_id is not None]
    assert len(album) == 3 and len({m.media_group_id for m in album}) == 1
    async with session_factory(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(Evidence)) == 3


async def test_a_document_and_a_photo_are_kept_and_typed_percent_is_accepted(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, bambang, _ = await setup(bot, telegram, engine, now)
    await start_report(bot, budi)
    budi.send_document(b"%PDF-1.4 notulen", filename="notulen.pdf", mime_type="application/pdf")
    await bot.settle()
    budi.send_photo(TINY_JPEG, caption="Foto bersama")
    await bot.settle()
    await press(bot, budi, budi.last, "Selesai")
    reply = await say(bot, budi, "150")
    assert reply.plain == text("percent.error.out_of_range", value="150")
    reply = await say(bot, budi, "sebagian")
    assert reply.plain.startswith(text("percent.error.not_number", value="sebagian")[:20])
    summary = await say(bot, budi, "45 %")
    assert "1 foto, 1 dokumen" in summary.plain and "45%" in summary.plain
    await press(bot, budi, summary, "Kirim")
    kinds = [m.kind for m in bambang.inbox[-3:]]
    assert kinds == ["photo", "document", "text"]


async def test_text_sent_outside_a_conversation_can_become_a_report(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, bambang, _ = await setup(bot, telegram, engine, now)

    offer = await say(bot, budi, "Hari ini MoU dengan Diskominfo ditandatangani.")
    assert offer.plain == text("report.offer_save")
    assert offer.button_texts[-1] == "Tidak, terima kasih"
    await press(bot, budi, offer, offer.button_texts[1])  # the second milestone
    # The offer itself turns into the next question; the text was kept, so kendala comes next.
    assert budi.last.message_id == offer.message_id
    assert offer.plain.startswith(text("report.milestone_chosen", title="Uji coba aplikasi"))
    assert "Apakah ada kendala" in offer.plain
    await press(bot, budi, budi.last, "Lewati")
    await press(bot, budi, budi.last, "Lewati")
    assert "Silakan kirim bukti dukung" in offer.plain
    await press(bot, budi, budi.last, "Lewati")
    await press(bot, budi, budi.last, "30%")
    await press(bot, budi, budi.last, "Kirim")

    assert "Hari ini MoU dengan Diskominfo ditandatangani." in bambang.last.plain
    async with session_factory(engine)() as session:
        update = await session.scalar(select(ProgressUpdate))
        assert update is not None
        milestone = await session.get_one(Milestone, update.milestone_id)
        assert milestone.title == "Uji coba aplikasi"


async def test_a_photo_with_a_caption_outside_a_conversation_keeps_both(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, bambang, _ = await setup(bot, telegram, engine, now)
    budi.send_photo(TINY_JPEG, caption="Uji coba di Kelurahan 9 Ilir <RW 03> & RW 04")
    await bot.settle()
    await press(bot, budi, budi.last, budi.last.button_texts[0])
    await press(bot, budi, budi.last, "Lewati")  # kendala
    await press(bot, budi, budi.last, "Lewati")  # rencana berikutnya
    assert "Sudah diterima: 1 berkas" in budi.last.plain
    await press(bot, budi, budi.last, "Selesai")
    await press(bot, budi, budi.last, "20%")
    await press(bot, budi, budi.last, "Kirim")
    photo = bambang.inbox[-2]
    assert photo.kind == "photo" and photo.plain == "Uji coba di Kelurahan 9 Ilir <RW 03> & RW 04"
    assert "Uji coba di Kelurahan 9 Ilir <RW 03> & RW 04" in bambang.last.plain


async def test_changing_a_part_returns_to_the_summary(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, _, _ = await setup(bot, telegram, engine, now)
    await start_report(bot, budi, "Draf pertama.")
    await press(bot, budi, budi.last, "Lewati")
    summary = await press(bot, budi, budi.last, "10%")
    await press(bot, budi, budi.last, "Ubah")
    await press(bot, budi, budi.last, "Uraian")
    summary = await say(bot, budi, "Draf kedua yang lebih lengkap.")
    assert "Draf kedua yang lebih lengkap." in summary.plain and "10%" in summary.plain
    assert summary.button_texts == ["Kirim", "Ubah", "Batal"]


async def test_batal_leaves_the_conversation_and_saves_nothing(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, _, _ = await setup(bot, telegram, engine, now)
    await start_report(bot, budi)
    assert (await say(bot, budi, "/profil")).plain == text("conversation.busy")
    assert (await say(bot, budi, "/batal")).plain == text("conversation.cancelled")
    assert (await say(bot, budi, "/batal")).plain == text("conversation.nothing_to_cancel")
    assert await reports_in_db(engine) == 0


async def test_a_half_written_report_survives_a_restart(
    telegram: FakeTelegram, engine: AsyncEngine, now: datetime, settings: Settings
) -> None:
    clock = ManualClock(now)
    async with running_bot(telegram, settings, clock=clock, engine=engine) as bot:
        budi, bambang, _ = await setup(bot, telegram, engine, now)
        await start_report(bot, budi, "Ditulis sebelum bot dimulai ulang.")
        prompt = budi.last
    # A new Application, as after a deploy or a crash: the draft and the step come back.
    async with running_bot(telegram, settings, clock=clock, engine=engine) as bot:
        await press(bot, budi, prompt, "Lewati")
        await press(bot, budi, budi.last, "50%")
        await press(bot, budi, budi.last, "Kirim")
    assert "Ditulis sebelum bot dimulai ulang." in bambang.last.plain
    assert await reports_in_db(engine) == 1


async def test_too_long_text_and_wrong_files_are_refused_with_the_reason(
    telegram: FakeTelegram, engine: AsyncEngine, now: datetime, settings: Settings
) -> None:
    small = replace(settings, max_evidence_mb=1)
    async with running_bot(telegram, small, clock=ManualClock(now), engine=engine) as bot:
        budi, _, _ = await setup(bot, telegram, engine, now)
        chooser = await say(bot, budi, "/lapor")
        await press(bot, budi, chooser, chooser.button_texts[0])
        reply = await say(bot, budi, "x" * 3501)
        assert reply.plain == text("text.error.too_long", limit=3500, length=3501)
        await say(bot, budi, "Uraian yang wajar.")
        await press(bot, budi, budi.last, "Lewati")  # kendala
        await press(bot, budi, budi.last, "Lewati")  # rencana berikutnya

        budi.send_document(
            b"MZ\x90\x00", filename="setup.exe", mime_type="application/x-msdownload"
        )
        await bot.settle()
        assert "tidak dapat diterima" in budi.last.plain or "tidak diterima" in budi.last.plain
        budi.send_document(
            b"%PDF" + b"0" * (1024 * 1024 + 200_000),
            filename="besar.pdf",
            mime_type="application/pdf",
        )
        await bot.settle()
        assert "1 MB" in budi.last.plain
        prompt = budi.inbox[-3]
        await press(bot, budi, prompt, "Lewati")  # the prompt still offers to skip
        await press(bot, budi, prompt, "10%")  # it turned into the percent question
        assert "0 foto, 0 dokumen" in prompt.plain  # and then into the summary


async def test_a_milestone_removed_while_reporting_saves_nothing(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, bambang, milestones = await setup(bot, telegram, engine, now)
    await start_report(bot, budi)
    await press(bot, budi, budi.last, "Lewati")
    await press(bot, budi, budi.last, "40%")
    async with session_factory(engine)() as session, session.begin():
        participant_id = await session.scalar(
            select(Project.participant_id)
            .join(Milestone, Milestone.project_id == Project.id)
            .where(Milestone.id == milestones[0])
        )
        assert participant_id is not None
        await remove_milestone(session, participant_id, milestones[0], now)

    await press(bot, budi, budi.last, "Kirim")

    assert budi.last.plain == text("report.error.milestone_gone")
    assert await reports_in_db(engine) == 0
    assert not any("Laporan kemajuan" in (m.plain or "") for m in bambang.inbox)


async def test_an_approved_milestone_is_no_longer_offered_for_a_report(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, _, milestones = await setup(bot, telegram, engine, now)
    async with session_factory(engine)() as session, session.begin():
        approved = await session.get_one(Milestone, milestones[0])
        approved.status = MilestoneStatus.APPROVED
        title = approved.title

    chooser = await say(bot, budi, "/lapor")

    assert len(chooser.button_texts) == 1
    assert not chooser.button_texts[0].startswith(title)
    assert chooser.button_texts[0].startswith("Uji coba aplikasi")
