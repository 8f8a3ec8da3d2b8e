"""Seminars on WhatsApp, over real HTTP through fakewa on the real database: mentors and coaches
answer the notice with "Hadir" or "Berhalangan" and a reason, a presenter sends a laporan with
BAHAN, and JADWAL lists the coming seminars in the reader's own zone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.sender import Sender
from domain.clock import ManualClock
from domain.enums import Channel
from domain.i18n import format_datetime
from domain.markup import to_whatsapp
from domain.materials import AttendanceAnswer, MaterialKind
from domain.timezones import WIB, WIT
from fakewa import FakePerson, OutgoingMessage
from models import SeminarAttendance, SeminarMaterial
from tests.factories import import_roster
from tests.integration.stories import STARTS, person_ids, plan
from tests.integration.whatsapp_harness import WhatsAppBot, join, running_whatsapp, text
from whatsapp.keywords import whatsapp_translator
from whatsapp.sender import WhatsAppDelivery

T = whatsapp_translator("id")
PHONES = {
    "budi": "6281234567890",
    "nurhayati": "6281255556666",
    "bambang": "6281122223333",
    "lina": "6281177778888",
}
PDF = b"%PDF-1.4\n% laporan seminar rancangan Budi\n%%EOF\n"


@pytest.fixture
async def bot(engine: AsyncEngine, clock: ManualClock) -> AsyncIterator[WhatsAppBot]:
    async with running_whatsapp(engine, clock) as running:
        yield running


async def cast(
    bot: WhatsAppBot,
    engine: AsyncEngine,
    now: datetime,
    presenters: tuple[str, ...] = ("budi", "nurhayati"),
) -> tuple[dict[str, FakePerson], dict[str, int], int]:
    """Everyone in PHONES joined on WhatsApp; a seminar rancangan planned for the presenters
    and its notices delivered."""
    team = await import_roster(engine, now)
    people = {}
    for handle, phone in PHONES.items():
        person = bot.wa.person(phone, handle.title())
        await join(bot, person, team[handle].code)
        people[handle] = person
    ids = await person_ids(engine, team)
    seminar_id = await plan(engine, ids, now, presenters=presenters)
    await deliver(bot)
    for person in people.values():
        person._cursor = len(person.inbox)  # replies from here on
    return people, ids, seminar_id


async def deliver(bot: WhatsAppBot) -> None:
    """The sender's one pass over the queue, through the WhatsApp delivery."""
    delivery = WhatsAppDelivery(
        bot.runtime.client, bot.sessions, bot.clock, evidence_store=bot.store
    )
    sender = Sender(None, bot.sessions, bot.clock, evidence_store=bot.store, channels=[delivery])
    await sender.drain_once(paced=False)


def notice(person: FakePerson) -> OutgoingMessage:
    return next(m for m in person.inbox if (m.text or "").startswith("📅 *Undangan"))


def tap(person: FakePerson, data: str, on: OutgoingMessage | None = None) -> None:
    """A button tap carrying `data`, as a forged or replayed webhook would."""
    reply = {"type": "button_reply", "button_reply": {"id": data, "title": "Hadir"}}
    person._post("interactive", {"interactive": reply}, on)


async def answers(bot: WhatsAppBot) -> dict[int, tuple[AttendanceAnswer, str | None]]:
    async with bot.sessions() as session:
        rows = await session.scalars(select(SeminarAttendance))
        return {a.person_id: (a.answer, a.reason) for a in rows}


async def test_mentor_and_coach_answer_the_notice_with_hadir_and_berhalangan(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    people, ids, _ = await cast(bot, engine, now)
    bambang, lina = people["bambang"], people["lina"]
    assert notice(bambang).button_titles == ["✅ Hadir", "🚫 Berhalangan"]
    assert notice(people["budi"]).button_titles == []  # presenters are not asked

    bambang.press(notice(bambang), "✅ Hadir")
    kind = "seminar rancangan"
    at = format_datetime(STARTS, WIB, "id")
    assert (await bambang.next_reply()).text == text("attendance.confirm.present", kind=kind, at=at)
    assert (await bambang.next_reply()).text == text("attendance.saved.present", kind=kind)
    await bot.settle()
    assert await answers(bot) == {ids["bambang"]: (AttendanceAnswer.PRESENT, None)}

    lina.press(notice(lina), "🚫 Berhalangan")
    asked = await lina.next_reply()
    assert asked.text == text("attendance.ask.reason", kind=kind)
    assert "BATAL" in (asked.text or "") and "/batal" not in (asked.text or "")
    lina.send("Mendampingi visitasi akreditasi di Jakarta")
    confirmed = await lina.next_reply()
    assert "Mendampingi visitasi akreditasi di Jakarta" in (confirmed.text or "")
    await bot.settle()
    assert await answers(bot) == {
        ids["bambang"]: (AttendanceAnswer.PRESENT, None),
        ids["lina"]: (AttendanceAnswer.ABSENT, "Mendampingi visitasi akreditasi di Jakarta"),
    }


async def test_a_forged_or_foreign_attendance_tap_records_nothing(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    people, _, seminar_id = await cast(bot, engine, now)
    budi, bambang = people["budi"], people["bambang"]
    # A presenter replaying a mentor's button: not theirs to answer.
    tap(budi, f"ha1:{seminar_id}:h")
    assert (await budi.next_reply()).text == text("attendance.error.not_yours")
    # Forged answers and ids: stale; a seminar that is not Bambang's: refused.
    for forged in (f"ha1:{seminar_id}:x", f"ha1:{2**31}:h", "ha1:0:h", "ha1:abc:h"):
        tap(bambang, forged, notice(bambang))
        assert (await bambang.next_reply()).text == text("wa.stale"), forged
    tap(bambang, "ha1:99999:h", notice(bambang))
    assert (await bambang.next_reply()).text == text("attendance.error.not_yours")
    # Words without a "Berhalangan" first are no reason (the Menu answers).
    bambang.send("Sedang dinas luar")
    assert (await bambang.next_reply()).text == text("wa.unknown")
    await bot.settle()
    assert await answers(bot) == {}


async def test_bahan_takes_the_laporan_as_a_pdf_and_keeps_a_new_version(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    people, ids, seminar_id = await cast(bot, engine, now, presenters=("budi",))
    budi = people["budi"]
    budi.send("BAHAN")
    kinds = await budi.next_reply()
    at = format_datetime(STARTS, WIB, "id")
    assert kinds.text == text(
        "materials.ask.kind", kind="seminar rancangan", cohort="PKP Angkatan IV", at=at
    )
    assert kinds.button_titles == ["Laporan", "Bahan tayang"]
    budi.press(kinds, "Laporan")
    ask = await budi.next_reply()  # not the question again (WhatsApp cannot edit it)
    assert (ask.text or "").startswith("*Laporan*")
    budi.send_document(PDF, "laporan-budi.pdf")
    receipt = await budi.next_reply()
    assert "laporan-budi.pdf" in (receipt.text or "")
    await bot.settle()
    async with bot.sessions() as session:
        material = await session.scalar(select(SeminarMaterial))
        assert material is not None
        assert (material.seminar_id, material.presenter_id) == (seminar_id, ids["budi"])
        assert (material.kind, material.version) == (MaterialKind.REPORT, 1)
        assert material.channel is Channel.WHATSAPP and material.mime_type == "application/pdf"
    assert bot.store.blobs[material.sha256] == PDF

    # "Kirim bahan" (the request's button) opens the same form; not for someone else.
    tap(budi, f"bh1:s:{seminar_id}")
    assert (await budi.next_reply()).button_titles == ["Laporan", "Bahan tayang"]
    bambang = people["bambang"]
    tap(bambang, f"bh1:s:{seminar_id}")
    assert (await bambang.next_reply()).text == text("materials.error.not_presenter")


async def test_jadwal_shows_the_coming_seminar_in_the_reader_s_zone(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    people, _, _ = await cast(bot, engine, now)
    nurhayati = people["nurhayati"]  # in Sofifi, WIT
    nurhayati.send("jadwal")
    agenda = (await nurhayati.next_reply()).text or ""
    assert agenda.startswith(text("seminar.agenda.title"))
    assert "Seminar rancangan" in agenda and "Aula BPSDM Lantai 2" in agenda
    assert format_datetime(STARTS, WIT, "id") in agenda and "WIB" not in agenda
    # Her mentor sees it too, in WIB, as mentor.
    bambang = people["bambang"]
    bambang.send("JADWAL")
    mentor = (await bambang.next_reply()).text or ""
    assert format_datetime(STARTS, WIB, "id") in mentor
    assert text("seminar.agenda.mentor_note") in mentor


async def test_without_a_seminar_bahan_and_jadwal_say_so(
    bot: WhatsAppBot, engine: AsyncEngine, now: datetime
) -> None:
    people, _, _ = await cast(bot, engine, now, presenters=("budi",))
    nurhayati = people["nurhayati"]
    nurhayati.send("bahan")
    none = await nurhayati.next_reply()
    assert none.text == text("materials.none")
    assert "JADWAL" in (none.text or "") and "/jadwal" not in (none.text or "")
    nurhayati.send("JADWAL")
    empty = await nurhayati.next_reply()
    assert empty.text == to_whatsapp(
        "\n".join([T("seminar.agenda.title"), "", T("seminar.agenda.empty")])
    )
    # BAHAN is for participants; the Menu and help name the new keywords by role.
    bambang = people["bambang"]
    bambang.send("BAHAN")
    assert (await bambang.next_reply()).text == text("access.role_required", roles="Peserta")
    nurhayati.send("MENU")
    rows = (await nurhayati.next_reply()).row_titles
    assert rows[-3:] == ["Kirim bahan seminar", "Jadwal seminar", "Bantuan"]
    bambang.send("MENU")
    assert (await bambang.next_reply()).row_titles[-2:] == ["Jadwal seminar", "Bantuan"]
    bambang.send("BANTUAN")
    help_text = (await bambang.next_reply()).text or ""
    assert "JADWAL" in help_text and "BAHAN" not in help_text
