"""The project's name follows the cohort: a PKA or PKP participant leads an aksi perubahan, a
PKN II participant a proyek perubahan, in the chat, the reminders, the portfolio and the export.
Also the greetings and the reminder pause (/jeda) reworded with this issue."""

from __future__ import annotations

import io
from datetime import date, datetime, time
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from domain.timezones import WIB
from fakegram import FakeTelegram
from models import Cohort, Vacation
from models.db import session_factory
from services.outbox import Outgoing
from tests.conftest import ADMIN_ID
from tests.factories import SMALL_ROSTER, import_roster
from tests.integration.helpers import press, say, text
from tests.integration.stories import (
    ROSTER,
    at,
    join,
    milestone,
    reminder_cast,
    rows,
    rows_of,
    run_sweep,
    sent_file,
)

PKA = "PKA Angkatan III"
PKN = "PKN II Angkatan XXXVII"


def pdf_words(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


async def set_cohort_settings(engine: AsyncEngine, name: str, settings: dict[str, Any]) -> None:
    async with session_factory(engine)() as session, session.begin():
        await session.execute(update(Cohort).where(Cohort.name == name).values(settings=settings))


@pytest.mark.parametrize(
    ("cohort", "term", "title"),
    [(PKA, "aksi perubahan", "Aksi Perubahan"), (PKN, "proyek perubahan", "Proyek Perubahan")],
)
async def test_the_participant_reads_the_term_of_the_programme(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    cohort: str,
    term: str,
    title: str,
) -> None:
    team = await import_roster(engine, now, SMALL_ROSTER, cohort)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    other = "proyek perubahan" if term == "aksi perubahan" else "aksi perubahan"
    Term = term.capitalize()

    status = await say(bot, budi, "/status")
    assert status.plain.startswith(f"{Term}: Layanan Aduan Warga Terpadu\n")
    overview = await say(bot, budi, "/proyek")
    assert overview.plain.startswith(f"{Term}: Layanan Aduan Warga Terpadu\n")
    asked = await press(bot, budi, overview, "✏️ Judul")
    assert asked is None or not asked.show_alert
    assert budi.last.plain == text("project.ask.title", term=term, limit=500)
    await say(bot, budi, "/batal")

    await say(bot, budi, "/portofolio")
    document = budi.last
    assert document.kind == "document" and document.caption is not None
    assert document.caption.startswith(f"📄 Portofolio {term} <b>Budi Santoso</b>")
    stored = telegram.file(document.file_id)
    assert stored is not None
    words = pdf_words(stored.data)
    assert f"PORTOFOLIO {title.upper()}" in words and f"Judul {term}" in words
    assert other not in words.lower()

    admin = telegram.user(ADMIN_ID, "Yulia")
    await say(bot, admin, "/ekspor")
    _, stored = sent_file(telegram, admin)
    book = load_workbook(io.BytesIO(stored.data))
    (budi_row, _) = rows_of(book["Peserta"])
    assert budi_row[f"Judul {term}"] == "Layanan Aduan Warga Terpadu"


async def test_a_cohort_setting_overrides_the_programme(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now, SMALL_ROSTER, PKN)
    await set_cohort_settings(engine, PKN, {"project_term": "aksi perubahan"})
    budi = await join(bot, telegram, 1001, team["budi"].code)

    status = await say(bot, budi, "/status")
    assert status.plain.startswith("Aksi perubahan: Layanan Aduan Warga Terpadu")

    # A setting nobody can read falls back to the programme's word, not to an error.
    await set_cohort_settings(engine, PKN, {"project_term": "aksi"})
    status = await say(bot, budi, "/status")
    assert status.plain.startswith("Proyek perubahan: Layanan Aduan Warga Terpadu")


async def test_a_nudge_names_the_cohorts_term_in_the_recipients_language(
    engine: AsyncEngine, now: datetime
) -> None:
    team = await reminder_cast(engine, now)  # the PKP cohort of the reminder tests
    await milestone(team, "budi", date(2026, 12, 15), now)
    for day in range(2, 10):
        await run_sweep(engine, at(date(2026, 11, day), time(8), WIB))
    (nudge, *_) = await rows(engine, f"nudge:{team['budi']}:")
    params = Outgoing.from_payload(nudge.payload).params
    assert params["term"] == {"key": "term.aksi_perubahan", "params": {}}
    assert "Silakan kirim laporan kemajuan aksi perubahan dengan /lapor" in text(
        "reminder.nudge.never", since="-", term=text(params["term"]["key"])
    )
    assert ROSTER  # the roster the cast imported


async def test_an_admin_from_the_settings_is_greeted_as_a_newcomer_then_welcomed_back(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    admin = telegram.user(ADMIN_ID, "Yulia")
    first = await say(bot, admin, "/start")
    assert first.plain == text(
        "start.welcome_first", person="Bapak/Ibu Yulia", role="Penyelenggara"
    )
    assert "kembali" not in first.plain
    again = await say(bot, admin, "/start")
    assert again.plain == text("start.welcome_back", person="Bapak/Ibu Yulia", role="Penyelenggara")


async def test_jeda_pauses_reminders_and_cuti_still_works(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    assert "jeda" in {command for command, _ in telegram.menu_for(1001)}
    assert "cuti" not in {command for command, _ in telegram.menu_for(1001)}

    reply = await say(bot, budi, "/jeda")
    assert text("vacation.none") in reply.plain and "/jeda 24/12 - 2/1" in reply.plain
    reply = await say(bot, budi, "/jeda 24/12 - 2/1")
    assert reply.plain.startswith("✅ Jeda pengingat dicatat")
    reply = await say(bot, budi, "/cuti 10/12 - 11/12")
    assert reply.plain.startswith("✅ Jeda pengingat dicatat")
    async with session_factory(engine)() as session:
        assert len(list(await session.scalars(select(Vacation)))) == 2
