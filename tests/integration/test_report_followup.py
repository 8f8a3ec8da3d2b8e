"""One-tap answers and report follow-ups (issue 13 items 5, 6 and 8): "Sudah dibaca", the
feedback reminder that carries the report and its buttons, "Lapor sekarang" under reminders,
kendala and rencana berikutnya in /lapor, and corrections within 24 hours."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from domain.clock import ManualClock
from domain.enums import FeedbackKind, MilestoneStatus
from fakegram import FakeTelegram
from models import (
    Cohort,
    Milestone,
    OutboxMessage,
    RelayedMessage,
)
from models.db import session_factory
from services.exports import cohort_export
from services.personal_data import erase_person
from services.portfolio import load_portfolio
from services.reminders import sweep
from services.response_times import advisor_response_times
from tests.factories import add_milestones, import_roster
from tests.integration.helpers import press, press_data, say, text
from tests.integration.stories import ACK, CORRECT, join, lapor, newest_report, notes, person_id
from tests.integration.stories import followup_cast as cast

FEEDBACK = "💬 Beri umpan balik"
REVISION = "✏️ Minta revisi"


# --- "Sudah dibaca" ------------------------------------------------------------------------


async def test_read_is_recorded_once_counts_as_a_response_and_tells_the_participant(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, clock: ManualClock
) -> None:
    now = clock.now()
    budi, bambang, lina, _, _, _ = await cast(bot, telegram, engine, now)
    await lapor(bot, budi, "Rapat perdana tim efektif sudah terlaksana.")
    relay = bambang.last
    assert relay.button_texts == [FEEDBACK, ACK, REVISION]
    assert lina.last.button_texts == [FEEDBACK, ACK, REVISION]
    uid = (await newest_report(engine)).id
    told_before = len(budi.inbox)

    clock.advance(timedelta(hours=3))
    first = bambang.press(relay, ACK)
    again = bambang.press_data(relay, f"fb1:k:{uid}")  # a double tap: the second press
    await bot.settle()

    # Each press answered once: recorded and told, then "already noted".
    assert first.answer is not None
    assert first.answer.text == text("acknowledge.done", name="Budi Santoso")
    assert again.answer is not None and again.answer.text == text("acknowledge.already")
    assert [n.author_id for n in await notes(engine, FeedbackKind.ACKNOWLEDGED)] == [
        await person_id(engine, "197005051995031003")
    ]
    told = budi.inbox[told_before:]
    assert len(told) == 1
    assert "Mentor Dr. Ir. Bambang Wijaya telah membaca laporan" in told[0].plain
    assert ACK not in relay.button_texts  # the button has done its work
    assert relay.button_texts == [FEEDBACK, REVISION]

    # It answers the report: 3 hours for Bambang; Lina has not answered yet.
    async with session_factory(engine)() as session:
        cohort_id = await session.scalar(select(Cohort.id))
        assert cohort_id is not None
        times = {a.name: a for a in await advisor_response_times(session, cohort_id, now)}
    bambang_times = times["Dr. Ir. Bambang Wijaya"]
    assert (bambang_times.answered, bambang_times.median) == (1, timedelta(hours=3))
    assert times["Dr. Lina Marliani"].answered == 0

    # The participant replies to "sudah dibaca": the reply reaches the mentor, in the thread.
    budi.send("Terima kasih, Pak.", reply_to=told[0])
    await bot.settle()
    assert "Terima kasih, Pak." in bambang.last.plain


async def test_forged_and_stale_read_presses_are_refused(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, bambang, lina, _, _, _ = await cast(bot, telegram, engine, now)
    receipt = await lapor(bot, budi, "Laporan pertama.")
    uid = (await newest_report(engine)).id
    refused = text("access.not_yours")

    # The participant on his own receipt, the coach with another report's id, a mangled press.
    answer = await press_data(bot, budi, receipt, f"fb1:k:{uid}")
    assert answer is not None and answer.text == refused
    answer = await press_data(bot, lina, lina.last, f"fb1:k:{uid + 1}")
    assert answer is not None and answer.text == refused
    answer = await press_data(bot, bambang, bambang.last, "fb1:k:x")
    assert answer is not None and answer.text == text("button.stale")
    assert await notes(engine, FeedbackKind.ACKNOWLEDGED) == []


# --- the feedback reminder carries the report ---------------------------------------------


async def test_the_feedback_reminder_carries_the_report_and_its_buttons_work(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, clock: ManualClock
) -> None:
    now = clock.now()
    budi, bambang, lina, _, _, _ = await cast(bot, telegram, engine, now)
    await lapor(
        bot,
        budi,
        "Aplikasi aduan diuji di 3 kelurahan.",
        obstacles="Jaringan internet di kelurahan lemah.",
        next_steps="Pelatihan operator minggu depan.",
        percent="100%",
    )
    uid = (await newest_report(engine)).id

    # Three days later at 08.00 WIB nobody has answered: both advisors are reminded.
    clock.set(now + timedelta(days=3))
    async with session_factory(engine)() as session, session.begin():
        result = await sweep(session, clock.now())
    assert result.planned["feedback_wait"] == 2
    await bot.deliver()

    reminder = bambang.last
    assert "Laporan menunggu tanggapan" in reminder.plain
    for words in (
        "Budi Santoso",
        "Rapat koordinasi tim efektif",
        "Aplikasi aduan diuji di 3 kelurahan.",
        "Kendala: Jaringan internet di kelurahan lemah.",
        "Rencana berikutnya: Pelatihan operator minggu depan.",
    ):
        assert words in reminder.plain
    assert "/peserta" not in reminder.plain
    # The mentor may sign a 100% report off; the coach may not.
    assert reminder.button_texts == ["✅ Setujui", FEEDBACK, ACK, REVISION]
    assert lina.last.button_texts == [FEEDBACK, ACK, REVISION]
    async with session_factory(engine)() as session:
        relays = set(
            (
                await session.execute(
                    select(RelayedMessage.chat_ref, RelayedMessage.message_ref).where(
                        RelayedMessage.update_id == uid
                    )
                )
            ).tuples()
        )
    assert (str(bambang.chat_id), str(reminder.message_id)) in relays  # bound to its recipient

    # Feedback from the reminder reaches the participant.
    await press(bot, bambang, reminder, FEEDBACK)
    assert bambang.last.plain == text("feedback.ask_text")
    await say(bot, bambang, "Bagus, mohon lampirkan notulen uji coba.")
    assert "Bagus, mohon lampirkan notulen uji coba." in budi.last.plain

    # The coach's reminder is hers alone: the mentor cannot use its buttons with her message
    # id, nor another report's id on his own reminder.
    answer = await press_data(bot, bambang, reminder, f"fb1:k:{uid + 1}")
    assert answer is not None and answer.text == text("access.not_yours")
    await press(bot, lina, lina.last, ACK)
    assert "Coach Dr. Lina Marliani telah membaca laporan" in budi.last.plain


# --- "Lapor sekarang" -----------------------------------------------------------------------


async def test_report_now_under_a_reminder_opens_lapor_at_that_milestone(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, clock: ManualClock
) -> None:
    now = clock.now()
    team = await import_roster(engine, now)
    # Due in 7 days: the 7-day reminder comes today at 08.00 WIB (now).
    first, soon = await add_milestones(
        engine, team["budi"].nip, now, [("Rapat koordinasi", 30), ("Uji coba aplikasi", 7)]
    )
    (other,) = await add_milestones(engine, team["nurhayati"].nip, now, [("Posyandu", 30)])
    budi = await join(bot, telegram, 1001, team["budi"].code)
    bambang = await join(bot, telegram, 1005, team["bambang"].code)
    async with session_factory(engine)() as session, session.begin():
        await sweep(session, now)
    await bot.deliver()
    reminder = budi.last
    assert "Uji coba aplikasi" in reminder.plain
    assert reminder.button_texts == ["📝 Lapor sekarang"]

    await press(bot, budi, reminder, "📝 Lapor sekarang")

    # No milestone choice: straight to the text, and the reminder stays as it was.
    asked = budi.last
    assert asked.message_id != reminder.message_id
    assert asked.plain.startswith(text("report.milestone_chosen", title="Uji coba aplikasi"))
    assert "kegiatan yang telah dilakukan" in asked.plain
    assert reminder.button_texts == ["📝 Lapor sekarang"]
    await say(bot, budi, "Uji coba di Kelurahan 9 Ilir.")
    assert budi.last.plain.startswith("Apakah ada kendala")
    await press(bot, budi, budi.last, "Lewati")
    await press(bot, budi, budi.last, "Lewati")
    await press(bot, budi, budi.last, "Lewati")
    await press(bot, budi, budi.last, "40%")
    await press(bot, budi, budi.last, "Kirim")
    report = await newest_report(engine)
    assert report.milestone_id == soon and report.progress_percent == 40
    assert "Uji coba di Kelurahan 9 Ilir." in bambang.last.plain

    # Someone else's milestone (forged), an approved one: refused with the reason, nothing opens.
    answer = await press_data(bot, budi, reminder, f"rp1:n:{other}")
    assert answer is not None and answer.text == text("access.not_yours")
    async with session_factory(engine)() as session, session.begin():
        (await session.get_one(Milestone, first)).status = MilestoneStatus.APPROVED
    answer = await press_data(bot, budi, reminder, f"rp1:n:{first}")
    assert answer is not None and answer.text == text("report.error.milestone_approved")
    # The mentor cannot report for him.
    answer = await press_data(bot, bambang, bambang.last, f"rp1:n:{soon}")
    assert answer is not None and "peserta" in (answer.text or "").lower()


async def test_report_now_under_a_nudge_asks_for_the_milestone(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, clock: ManualClock
) -> None:
    now = clock.now()
    budi, _, _, _, _, _ = await cast(bot, telegram, engine, now)
    # Silent for seven days since joining: the nudge, on the eighth morning.
    clock.set(now + timedelta(days=7))
    async with session_factory(engine)() as session, session.begin():
        result = await sweep(session, clock.now())
    assert result.planned["nudge"] == 2  # Budi and Nurhayati
    await bot.deliver()
    clock.advance(timedelta(seconds=5))  # a milestone reminder went first: one per chat a second
    await bot.deliver()
    nudge = next(m for m in budi.inbox if "belum mengirim laporan" in (m.plain or ""))
    assert nudge.button_texts == ["📝 Lapor sekarang"]
    await press(bot, budi, nudge, "📝 Lapor sekarang")
    assert budi.last.plain == text("report.choose_milestone")
    assert len(budi.last.button_texts) == 2


# --- kendala and rencana berikutnya --------------------------------------------------------


async def test_the_optional_parts_filled_and_skipped(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, clock: ManualClock
) -> None:
    now = clock.now()
    budi, bambang, _, _, _, _ = await cast(bot, telegram, engine, now)
    receipt = await lapor(
        bot,
        budi,
        "Sosialisasi ke 12 OPD.",
        obstacles="Dua OPD belum hadir.",
        next_steps="Kunjungan langsung ke dua OPD tersebut.",
    )
    assert "Kendala: Dua OPD belum hadir." in receipt.plain  # the receipt reads it back
    relay = bambang.last.plain
    assert "Kendala: Dua OPD belum hadir." in relay
    assert "Rencana berikutnya: Kunjungan langsung ke dua OPD tersebut." in relay
    filled = await newest_report(engine)
    assert (filled.obstacles, filled.next_steps) == (
        "Dua OPD belum hadir.",
        "Kunjungan langsung ke dua OPD tersebut.",
    )

    await lapor(bot, budi, "Rapat evaluasi.", milestone=1)
    skipped = await newest_report(engine)
    assert (skipped.obstacles, skipped.next_steps) == (None, None)
    assert "Kendala" not in bambang.last.plain and "Rencana berikutnya" not in bambang.last.plain

    # Only one of them: only that one is shown.
    await lapor(bot, budi, "Uji coba.", next_steps="Rapat tim.", milestone=1)
    assert "Rencana berikutnya: Rapat tim." in bambang.last.plain
    assert "Kendala" not in bambang.last.plain

    # /peserta's timeline, the portfolio's data and the export carry them.
    overview = await say(bot, bambang, "/peserta")
    await press(bot, bambang, overview, overview.button_texts[0])  # three reports: one page
    assert "Kendala: Dua OPD belum hadir." in bambang.last.plain
    async with session_factory(engine)() as session:
        portfolio = await load_portfolio(session, filled.author_id)
        export = await cohort_export(session, "PKP Angkatan IV", clock.now())
    entry = next(r for r in portfolio.reports if r.id == filled.id)
    assert (entry.obstacles, entry.next_steps) == (filled.obstacles, filled.next_steps)
    row = next(r for r in export.reports if r.id == filled.id)
    assert (row.obstacles, row.next_steps) == (filled.obstacles, filled.next_steps)


async def test_the_optional_parts_can_be_changed_before_sending(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, bambang, _, _, _, _ = await cast(bot, telegram, engine, now)
    chooser = await say(bot, budi, "/lapor")
    await press(bot, budi, chooser, chooser.button_texts[0])
    await say(bot, budi, "Draf.")
    await press(bot, budi, budi.last, "Lewati")
    await say(bot, budi, "Rencana awal.")
    await press(bot, budi, budi.last, "Lewati")
    await press(bot, budi, budi.last, "30%")
    await press(bot, budi, budi.last, "Ubah")
    await press(bot, budi, budi.last, "Kendala")
    summary = await say(bot, budi, "Anggaran belum cair.")
    assert "Kendala: Anggaran belum cair." in summary.plain
    assert "Rencana berikutnya: Rencana awal." in summary.plain
    await press(bot, budi, summary, "Kirim")
    assert "Kendala: Anggaran belum cair." in bambang.last.plain


async def test_erasing_the_participant_erases_the_new_parts_and_the_reminders_words(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, clock: ManualClock
) -> None:
    now = clock.now()
    budi, _, _, _, _, _ = await cast(bot, telegram, engine, now)
    receipt = await lapor(bot, budi, "Rahasia dinas.", obstacles="Kendala pribadi.")
    await press(bot, budi, receipt, CORRECT)
    await say(bot, budi, "Uraian baru.")
    await press(bot, budi, budi.last, "Tetap seperti semula")
    await say(bot, budi, "Rencana pribadi.")
    clock.set(now + timedelta(days=3))
    async with session_factory(engine)() as session, session.begin():
        await sweep(session, clock.now())
        await erase_person(session, "198001152005011001", clock.now(), "test")
    report = await newest_report(engine)
    assert (report.text, report.obstacles, report.next_steps, report.original_text) == (
        "",
        None,
        None,
        None,
    )
    async with session_factory(engine)() as session:
        payloads = [
            str(p)
            for p in await session.scalars(
                select(OutboxMessage.payload).where(OutboxMessage.kind == "feedback_wait")
            )
        ]
    assert len(payloads) == 2
    for payload in payloads:
        for words in ("Uraian baru", "Kendala pribadi", "Rencana pribadi", "Budi Santoso"):
            assert words not in payload


# --- corrections within 24 hours -----------------------------------------------------------


async def test_a_correction_within_24_hours_reaches_the_advisors_marked(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, clock: ManualClock
) -> None:
    now = clock.now()
    budi, bambang, lina, _, _, _ = await cast(bot, telegram, engine, now)
    receipt = await lapor(bot, budi, "Sosialisasi ke 21 OPD.", obstacles="Hujan deras.")
    assert receipt.button_texts == [CORRECT]
    relay_count = len(bambang.inbox)

    clock.advance(timedelta(hours=23))
    await press(bot, budi, receipt, CORRECT)
    assert "Sosialisasi ke 21 OPD." in budi.last.plain  # the words as sent, to start from
    await say(bot, budi, "Sosialisasi ke 12 OPD.")
    # Kendala as it was is offered to keep; rencana berikutnya was empty: skip.
    assert "Hujan deras." in budi.last.plain
    await press(bot, budi, budi.last, "Tetap seperti semula")
    await say(bot, budi, "Kunjungan ke OPD yang belum hadir.")
    assert budi.last.plain.startswith("✅ Koreksi laporan tahapan Rapat koordinasi tim efektif")

    for advisor in (bambang, lina):
        corrected = advisor.last.plain
        assert corrected.startswith("✏️ Koreksi laporan kemajuan dari Budi Santoso")
        assert "Sosialisasi ke 12 OPD." in corrected and "21 OPD" not in corrected
        assert "Kendala: Hujan deras." in corrected
        assert "Rencana berikutnya: Kunjungan ke OPD yang belum hadir." in corrected
    assert len(bambang.inbox) == relay_count + 1  # the words only, no files again
    report = await newest_report(engine)
    assert (report.text, report.original_text) == (
        "Sosialisasi ke 12 OPD.",
        "Sosialisasi ke 21 OPD.",
    )
    assert report.next_steps == "Kunjungan ke OPD yang belum hadir."
    assert report.corrected_at == clock.now()

    # The corrected relay's buttons work for the advisor it went to.
    await press(bot, bambang, bambang.last, ACK)
    assert "telah membaca laporan" in budi.last.plain

    # A second correction keeps the words first sent.
    await press(bot, budi, receipt, CORRECT)
    await say(bot, budi, "Sosialisasi ke 12 OPD dan 3 kecamatan.")
    await press(bot, budi, budi.last, "Tetap seperti semula")
    await press(bot, budi, budi.last, "Tetap seperti semula")
    report = await newest_report(engine)
    assert report.original_text == "Sosialisasi ke 21 OPD."
    assert report.next_steps == "Kunjungan ke OPD yang belum hadir."

    # After 24 hours: a clear refusal, nothing changes.
    clock.advance(timedelta(hours=1, seconds=1))
    answer = await press(bot, budi, receipt, CORRECT)
    assert answer is not None and answer.text == text("correction.error.too_late", hours=24)
    assert (await newest_report(engine)).text == "Sosialisasi ke 12 OPD dan 3 kecamatan."


async def test_a_correction_finished_after_24_hours_is_refused(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, clock: ManualClock
) -> None:
    now = clock.now()
    budi, bambang, _, _, _, _ = await cast(bot, telegram, engine, now)
    receipt = await lapor(bot, budi, "Laporan asli.")
    clock.advance(timedelta(hours=23, minutes=59))
    await press(bot, budi, receipt, CORRECT)
    clock.advance(timedelta(minutes=2))
    await say(bot, budi, "Laporan koreksi.")
    await press(bot, budi, budi.last, "Lewati")
    await press(bot, budi, budi.last, "Lewati")
    assert budi.last.plain == text("correction.error.too_late", hours=24)
    report = await newest_report(engine)
    assert (report.text, report.original_text, report.corrected_at) == ("Laporan asli.", None, None)
    assert not any("Koreksi laporan" in (m.plain or "") for m in bambang.inbox)


async def test_forged_correction_presses_are_refused(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, bambang, _, nurhayati, _, _ = await cast(bot, telegram, engine, now)
    await lapor(bot, budi, "Laporan Budi.")
    uid = (await newest_report(engine)).id
    hello = await say(bot, nurhayati, "/status")

    answer = await press_data(bot, nurhayati, hello, f"rp1:k:{uid}")
    assert answer is not None and answer.text == text("access.not_yours")
    answer = await press_data(bot, bambang, bambang.last, f"rp1:k:{uid}")
    assert answer is not None and "peserta" in (answer.text or "").lower()
    answer = await press_data(bot, nurhayati, hello, "rp1:k:abc")
    assert answer is not None and answer.text == text("button.stale")
    assert (await newest_report(engine)).corrected_at is None


async def test_an_approved_report_cannot_be_corrected(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, bambang, _, _, _, _ = await cast(bot, telegram, engine, now)
    receipt = await lapor(bot, budi, "Selesai semua.", percent="100%")
    await press(bot, bambang, bambang.last, "✅ Setujui")
    answer = await press(bot, budi, receipt, CORRECT)
    assert answer is not None and answer.text == text("correction.error.approved")


# --- issue 13 item 8: the save offer answered twice ---------------------------------------


async def test_someone_elses_milestone_under_the_save_offer_is_refused_politely(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, _, _, _, _, nur_milestones = await cast(bot, telegram, engine, now)
    offer = await say(bot, budi, "Hari ini MoU ditandatangani.")
    assert offer.plain == text("report.offer_save")
    pressed = budi.press_data(offer, f"rp1:s:{nur_milestones[0]}")
    await bot.settle()
    # One answer, and it is "not yours", not the generic error after a refused second answer.
    assert pressed.answer is not None
    assert pressed.answer.text == text("access.not_yours") and pressed.answer.show_alert
    assert not any(m.plain == text("error.generic") for m in budi.inbox)
    assert not telegram.errors
    # The offer still works with his own milestone.
    await press(bot, budi, offer, offer.button_texts[0])
    assert "Apakah ada kendala" in budi.last.plain
