"""A mixed cohort on one real instance (bot/serve.py, as `properbot run`): participants and
mentors on Telegram and on WhatsApp, threads crossing channels both ways with their evidence,
and a reminder to someone whose 24-hour window has closed going as its template."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings
from domain.enums import FeedbackKind, Horizon
from domain.timezones import WIB
from fakegram import BotMessage
from fakewa import FakePerson, OutgoingMessage
from models import FeedbackNote, Person, ProgressUpdate
from models.db import session_factory
from services.projects import add_milestone
from tests.factories import HEADER, add_milestones, import_roster
from tests.integration.mixed_harness import SETTLE_TIMEOUT, MixedInstance, running_instance
from tests.integration.stories import photo_bytes

BAMBANG_NIP = "197005051995031003"
HASAN_NIP = "198512122010011006"
LINA_NIP = "197209092000122004"
# Siti reports on WhatsApp to Bambang on Telegram; Budi reports on Telegram to Hasan on
# WhatsApp. Lina coaches both and never joins.
ROSTER = "\n".join(
    [
        HEADER,
        f"mentor,Dr. Ir. Bambang Wijaya,{BAMBANG_NIP},Pemprov Sumsel,Sekretaris Daerah,WIB,,,",
        f"coach,Dr. Lina Marliani,{LINA_NIP},BPSDM Sumsel,Widyaiswara,WIB,,,",
        f"mentor,Ir. Hasan Basri,{HASAN_NIP},Pemprov Sumsel,Kepala Dinas,WIB,,,",
        "peserta,Budi Santoso,198001152005011001,Dinas Kominfo,Kepala Bidang,WIB,"
        f"{HASAN_NIP},{LINA_NIP},Layanan Aduan Warga Terpadu",
        "peserta,Siti Rahmawati,198807072010012003,Bappeda,Kepala Bidang,WIB,"
        f"{BAMBANG_NIP},{LINA_NIP},Satu Data Daerah",
    ]
)
SITI = "6285711112222"
HASAN = "6281399998888"
BAMBANG_TG = 1005
BUDI_TG = 1001


@pytest.fixture
async def mixed(
    database_url: str, settings: Settings, engine: AsyncEngine, now: datetime
) -> AsyncIterator[MixedInstance]:
    async with running_instance(database_url, settings, engine, now) as running:
        yield running


async def on_phone(
    mixed: MixedInstance, person: FakePerson, found: Callable[[OutgoingMessage], bool]
) -> OutgoingMessage:
    """The first message on the phone that `found` accepts, waiting for it."""
    return await mixed.wa.wait_for(
        lambda: next((m for m in person.inbox if found(m)), None),
        SETTLE_TIMEOUT,
        description=f"a matching message reaches {person.wa_id}",
    )


async def in_chat(
    mixed: MixedInstance, user: object, found: Callable[[BotMessage], bool]
) -> BotMessage:
    """The first message in a Telegram user's chat that `found` accepts, waiting for it."""
    return await mixed.telegram.wait_for(
        lambda: next((m for m in user.inbox if found(m)), None),  # type: ignore[attr-defined]
        timeout=SETTLE_TIMEOUT,
    )


async def whatsapp_report(mixed: MixedInstance, siti: FakePerson, words: str, photo: bytes) -> None:
    """LAPOR on WhatsApp: the first milestone, the words, a photo, 60 %, "Kirim"."""
    siti.send("LAPOR")
    chooser = await siti.next_reply(SETTLE_TIMEOUT)
    siti.choose(chooser, chooser.rows[0]["title"])
    await siti.next_reply(SETTLE_TIMEOUT)  # what was done
    siti.send(words)
    obstacles = await siti.next_reply(SETTLE_TIMEOUT)
    siti.press(obstacles, "Lewati")
    next_steps = await siti.next_reply(SETTLE_TIMEOUT)
    siti.press(next_steps, "Lewati")
    await siti.next_reply(SETTLE_TIMEOUT)  # the evidence
    siti.send_image(photo, "Rapat koordinasi")
    assert "1 berkas" in ((await siti.next_reply(SETTLE_TIMEOUT)).text or "")
    siti.send("Selesai")
    percent = await siti.next_reply(SETTLE_TIMEOUT)
    siti.choose(percent, "60%")
    summary = await siti.next_reply(SETTLE_TIMEOUT)
    siti.press(summary, "Kirim")
    receipt = await siti.next_reply(SETTLE_TIMEOUT)
    assert "Laporan tersimpan" in (receipt.text or "")
    await mixed.settle()


async def telegram_report(mixed: MixedInstance, budi: object, words: str, photo: bytes) -> None:
    """/lapor on Telegram: the first milestone, the words, a photo, 100 %, "Kirim"."""
    chooser = await mixed.say(budi, "/lapor")
    await mixed.press(budi, chooser, chooser.button_texts[0])
    await mixed.say(budi, words)
    await mixed.press(budi, budi.last, "Lewati")  # type: ignore[attr-defined]  # kendala
    await mixed.press(budi, budi.last, "Lewati")  # type: ignore[attr-defined]  # rencana
    budi.send_photo(photo, "Uji coba di kelurahan")  # type: ignore[attr-defined]
    await mixed.settle()
    await mixed.press(budi, budi.last, "Selesai")  # type: ignore[attr-defined]
    await mixed.press(budi, budi.last, "100%")  # type: ignore[attr-defined]
    await mixed.press(budi, budi.last, "Kirim")  # type: ignore[attr-defined]


async def test_a_whatsapp_report_reaches_a_telegram_mentor_and_the_thread_goes_both_ways(
    mixed: MixedInstance, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now, ROSTER)
    await add_milestones(engine, team["siti"].nip, now)
    bambang = await mixed.join_telegram(BAMBANG_TG, "Bambang", team["bambang"].code)
    siti = await mixed.join_whatsapp(SITI, "Siti", team["siti"].code)
    photo = photo_bytes((200, 60, 40))

    await whatsapp_report(mixed, siti, "Sosialisasi Satu Data ke 12 OPD.", photo)

    # On Telegram: the photo, uploaded from the evidence store (Telegram never saw it), then
    # the report with its buttons.
    relay = await in_chat(mixed, bambang, lambda m: "Sosialisasi Satu Data" in (m.plain or ""))
    assert "Siti Rahmawati" in (relay.plain or "") and relay.button_texts
    shown = next(m for m in bambang.inbox if m.kind == "photo")
    assert shown.file_id is not None
    uploaded = mixed.telegram.file(shown.file_id)
    assert uploaded is not None and uploaded.data == photo
    assert "Rapat koordinasi" in (shown.plain or "")

    # Bambang answers by replying to the relay; Siti reads it on WhatsApp, free form. A person
    # replies seconds later, once the sender has recorded what it sent: the test waits for that.
    await mixed.settle()
    await mixed.say(bambang, "Bagus. Lampirkan daftar hadir OPD.", reply_to=relay)
    note = await on_phone(mixed, siti, lambda m: "Lampirkan daftar hadir" in (m.text or ""))
    assert note.template is None and not note.failed

    # She replies to the note on WhatsApp (its context id): Bambang gets it in the thread.
    await mixed.settle()
    siti.send("Baik Pak, daftar hadir saya kirim besok.", reply_to=note)
    answer = await in_chat(mixed, bambang, lambda m: "daftar hadir saya kirim" in (m.plain or ""))
    assert "Siti Rahmawati" in (answer.plain or "")
    # The answer is part of the thread too: Bambang's reply to it reaches Siti on WhatsApp.
    await mixed.settle()
    await mixed.say(bambang, "Terima kasih, Bu Siti.", reply_to=answer)
    again = await on_phone(mixed, siti, lambda m: "Terima kasih, Bu Siti." in (m.text or ""))
    assert again.template is None
    await mixed.settle()
    async with session_factory(engine)() as session:
        report = await session.scalar(select(ProgressUpdate))
        assert report is not None and report.progress_percent == 60
        notes = {
            n.id: n
            for n in await session.scalars(
                select(FeedbackNote).where(FeedbackNote.update_id == report.id)
            )
        }
        replies = [n.text for n in notes.values() if n.kind is FeedbackKind.REPLY]
        assert "Baik Pak, daftar hadir saya kirim besok." in replies
        texts = {n.text for n in notes.values()}
        assert {"Bagus. Lampirkan daftar hadir OPD.", "Terima kasih, Bu Siti."} <= texts
    assert mixed.wa.errors == [] and mixed.telegram.errors == []


async def test_a_telegram_report_reaches_a_whatsapp_mentor_who_approves_it(
    mixed: MixedInstance, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now, ROSTER)
    await add_milestones(engine, team["budi"].nip, now)
    budi = await mixed.join_telegram(BUDI_TG, "Budi", team["budi"].code)
    hasan = await mixed.join_whatsapp(HASAN, "Hasan", team["hasan"].code)
    photo = photo_bytes((40, 160, 90))

    await telegram_report(mixed, budi, "Uji coba layanan aduan di dua kelurahan.", photo)

    # On WhatsApp: the photo, uploaded from the evidence store, then the report to approve.
    relay = await on_phone(mixed, hasan, lambda m: "Uji coba layanan aduan" in (m.text or ""))
    # Four buttons are more than WhatsApp's three: they go as a list's rows.
    assert "Budi Santoso" in (relay.text or "") and "✅ Setujui" in relay.row_titles, relay
    image = next(m for m in hasan.inbox if m.type == "image")
    assert image.media_id is not None
    uploaded = mixed.wa.media_by_id(image.media_id)
    assert uploaded is not None and uploaded.data == photo

    await mixed.settle()
    hasan.choose(relay, "✅ Setujui")
    told = await in_chat(mixed, budi, lambda m: "telah disetujui oleh Mentor" in (m.plain or ""))
    assert "Ir. Hasan Basri" in (told.plain or "")
    await mixed.settle()
    async with session_factory(engine)() as session:
        approval = await session.scalar(
            select(FeedbackNote).where(FeedbackNote.kind == FeedbackKind.APPROVAL)
        )
        assert approval is not None
    assert mixed.wa.errors == [] and mixed.telegram.errors == []


async def test_outside_the_window_a_reminder_and_a_relay_go_as_templates(
    mixed: MixedInstance, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now, ROSTER)
    await add_milestones(engine, team["budi"].nip, now)
    budi = await mixed.join_telegram(BUDI_TG, "Budi", team["budi"].code)
    hasan = await mixed.join_whatsapp(HASAN, "Hasan", team["hasan"].code)
    siti = await mixed.join_whatsapp(SITI, "Siti", team["siti"].code)
    today = now.astimezone(WIB).date()
    async with session_factory(engine)() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.nip == team["siti"].nip))
        assert person is not None
        await add_milestone(
            session,
            person.id,
            title="Evaluasi portal Satu Data",
            horizon=Horizon.SHORT,
            due_on=today + timedelta(days=8),
            expected_output="Laporan evaluasi",
            today=today,
            now=now,
        )

    # Nobody wrote for 25 hours: both windows have closed.
    mixed.clock.advance(timedelta(hours=25))
    assert not siti.window_open and not hasan.window_open
    await mixed.sweep()
    reminder = await on_phone(mixed, siti, lambda m: m.template is not None)
    assert (reminder.template, reminder.template_language) == ("properbot_reminder", "id")
    assert "Evaluasi portal Satu Data" in (reminder.text or "")

    # A report to Hasan goes as the relay's template; "Lihat laporan" brings the whole of it.
    await telegram_report(mixed, budi, "Aduan warga kini dijawab dalam 2 hari.", photo_bytes())
    notice = await on_phone(mixed, hasan, lambda m: m.template is not None)
    assert notice.template_buttons and notice.template_buttons[0][0] == "Lihat laporan"
    hasan.press(notice, "Lihat laporan")
    full = await on_phone(
        mixed, hasan, lambda m: m.template is None and "dijawab dalam 2 hari" in (m.text or "")
    )
    assert "✅ Setujui" in full.row_titles
    await mixed.settle()
    assert mixed.telegram.errors == []
