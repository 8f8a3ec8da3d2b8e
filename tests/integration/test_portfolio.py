"""The portfolio PDF: a participant's whole record, for them, their mentor, and from the CLI."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import main
from bot.harness import RunningBot
from fakegram import FakeTelegram
from models import AuditEntry, Person
from models.db import session_factory
from services import portfolio
from services.errors import UserFacingError
from tests.conftest import ADMIN_ID
from tests.factories import SMALL_ROSTER, add_milestones, import_roster
from tests.integration.helpers import press, press_data, say, text
from tests.integration.stories import join

# A token the settings accept (the fake server's default one is too short for them), so the
# command line can download photos from the same fake server the bot talks to.
TOKEN = "123456:PORTFOLIOtestTOKENabcdefghij"
PROJECT = "Layanan Aduan Warga Terpadu"
MILESTONE = "Rapat koordinasi tim efektif"
REPORT_TEXT = "Rapat perdana tim efektif sudah terlaksana bersama 12 OPD."
FEEDBACK = "Bagus, lanjutkan dengan SK tim efektif."
REPLY = "Siap, SK sedang diproses."
MENTOR = "Dr. Ir. Bambang Wijaya"
BUDI_RANK = "Pembina (IV/a)"
MENTOR_RANK = "Pembina Utama Madya (IV/d)"


def ranked_roster() -> str:
    """The small roster with a pangkat/golongan column: Budi's and his mentor's ranks known."""
    header, *rows = SMALL_ROSTER.splitlines()
    ranks = {"Budi Santoso": BUDI_RANK, MENTOR: MENTOR_RANK}
    lines = [header + ",pangkat/golongan"]
    for row in rows:
        lines.append(f"{row},{ranks.get(row.split(',')[1], '')}")
    return "\n".join(lines)


RANKED_ROSTER = ranked_roster()


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN, bot_username="properbot_test_bot") as server:
        yield server


def photo_bytes() -> bytes:
    """A real 400x300 photo, so the PDF has something visible to embed."""
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (30, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def pdf_text(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    words = " ".join(page.extract_text() for page in reader.pages)
    return reader, " ".join(words.split())


async def person_id(engine: AsyncEngine, nip: str) -> int:
    async with session_factory(engine)() as session:
        found = await session.scalar(select(Person.id).where(Person.nip == nip))
        assert found is not None
        return int(found)


async def audit_entries(engine: AsyncEngine) -> list[AuditEntry]:
    async with session_factory(engine)() as session:
        return list(
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "export.portfolio")
                .order_by(AuditEntry.id)
            )
        )


async def story(bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime):  # type: ignore[no-untyped-def]
    """Budi reports with a photo, Bambang answers by reply, Budi answers back, then Budi
    reports the milestone complete and Bambang signs it off."""
    team = await import_roster(engine, now, RANKED_ROSTER)
    await add_milestones(engine, team["budi"].nip, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    bambang = await join(bot, telegram, 1005, team["bambang"].code)

    chooser = await say(bot, budi, "/lapor")
    await press(bot, budi, chooser, next(b for b in chooser.button_texts if b.startswith("Rapat")))
    await say(bot, budi, REPORT_TEXT)
    budi.send_photo(photo_bytes(), caption="Foto rapat perdana")
    await bot.settle()
    await press(bot, budi, budi.last, "Selesai")
    await press(bot, budi, budi.last, "60%")
    await press(bot, budi, budi.last, "Kirim")

    bambang.send(FEEDBACK, reply_to=bambang.inbox[-1])
    await bot.settle()
    budi.send(REPLY, reply_to=budi.last)
    await bot.settle()

    chooser = await say(bot, budi, "/lapor")
    await press(bot, budi, chooser, next(b for b in chooser.button_texts if b.startswith("Rapat")))
    await say(bot, budi, "SK tim efektif sudah ditandatangani.")
    await press(bot, budi, budi.last, "Lewati")  # kendala
    await press(bot, budi, budi.last, "Lewati")  # rencana berikutnya
    await press(bot, budi, budi.last, "Lewati")
    await press(bot, budi, budi.last, "100%")
    await press(bot, budi, budi.last, "Kirim")
    await press(bot, bambang, bambang.last, "✅ Setujui")
    return team, budi, bambang


def check_portfolio(data: bytes, *, photo: bool = True) -> str:
    reader, words = pdf_text(data)
    pages = len(reader.pages)
    assert pages >= 2
    assert f"Halaman 1 dari {pages}" in words and f"Halaman {pages} dari {pages}" in words
    for expected in (
        "Budi Santoso",
        "19800115 200501 1 001",
        PROJECT,
        MILESTONE,
        REPORT_TEXT,
        "SK tim efektif sudah ditandatangani.",
        FEEDBACK,
        REPLY,
        f"{MENTOR} (Mentor) · persetujuan",
        "Persetujuan Tahapan",
        "WIB",
    ):
        assert expected in words, expected
    # A title page with the participant and their rank, then the approval sheet to sign.
    cover = " ".join(reader.pages[0].extract_text().split())
    assert f"Pangkat/Golongan {BUDI_RANK}" in cover and f"“{PROJECT}”" in cover
    assert REPORT_TEXT not in cover
    sheet = " ".join(reader.pages[1].extract_text().split())
    for expected in (
        "LEMBAR PERSETUJUAN",
        MENTOR,
        MENTOR_RANK,
        "NIP. 19700505 199503 1 003",
        "Dr. Lina Marliani",
        "NIP. 19720909 200012 2 004",
        "Peserta,",
        "NIP. 19800115 200501 1 001",
    ):
        assert expected in sheet, expected
    embedded = [image for page in reader.pages for image in page.images]
    if photo:
        assert len(embedded) == 1 and embedded[0].image is not None
        assert embedded[0].image.size == (400, 300)
    else:
        assert embedded == []
        assert "Foto tidak dapat ditampilkan: Foto rapat perdana" in words
    return words


async def test_the_participant_gets_the_whole_record_as_a_pdf(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    _, budi, _ = await story(bot, telegram, engine, now)

    await say(bot, budi, "/portofolio")

    document = budi.last
    assert document.kind == "document" and document.file_id is not None
    assert document.caption is not None and "Budi Santoso" in document.caption
    assert any(
        c.params.get("action") == "upload_document" for c in telegram.calls_to("sendChatAction")
    )
    stored = telegram.file(document.file_id)
    assert stored is not None and stored.file_name == "portofolio-budi-santoso.pdf"
    words = check_portfolio(stored.data)
    # The thread reads in order: the feedback, then the answer to it.
    assert words.index(FEEDBACK) < words.index(REPLY)
    assert await audit_entries(engine) == []  # one's own record is no export of someone else's


async def test_the_mentor_downloads_it_from_the_timeline_and_it_is_audited(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team, _, bambang = await story(bot, telegram, engine, now)

    listing = await say(bot, bambang, "/peserta")
    await press(bot, bambang, listing, next(b for b in listing.button_texts if "Budi" in b))
    timeline = bambang.last
    assert text("portfolio.button") in timeline.button_texts
    await press(bot, bambang, timeline, text("portfolio.button"))

    document = bambang.last
    assert document.kind == "document" and document.file_id is not None
    stored = telegram.file(document.file_id)
    assert stored is not None
    check_portfolio(stored.data)
    [entry] = await audit_entries(engine)
    assert entry.actor_id == await person_id(engine, team["bambang"].nip)
    assert entry.details["participant_id"] == await person_id(engine, team["budi"].nip)
    assert entry.details["relation"] == "mentor"


async def test_forged_portfolio_buttons_are_refused_and_send_nothing(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    hasan = await join(bot, telegram, 1007, team["hasan"].code)
    await join(bot, telegram, 1002, team["nurhayati"].code)
    stranger = telegram.user(4242, "Orang Lain")
    budi_id = await person_id(engine, team["budi"].nip)
    nurhayati_id = await person_id(engine, team["nurhayati"].nip)
    refused = text("portfolio.error.not_allowed")

    # A mentor with nobody assigned guesses Budi's id.
    menu = await say(bot, hasan, "/bantuan")
    answer = await press_data(bot, hasan, menu, f"pf1:{budi_id}")
    assert answer is not None and answer.text == refused
    # A participant asks for a fellow participant's portfolio.
    menu = await say(bot, budi, "/bantuan")
    answer = await press_data(bot, budi, menu, f"pf1:{nurhayati_id}")
    assert answer is not None and answer.text == refused
    # Ids that belong to nobody, and data that is not a number, tell nothing either.
    answer = await press_data(bot, budi, menu, "pf1:999")
    assert answer is not None and answer.text == refused
    answer = await press_data(bot, budi, menu, "pf1:x")
    assert answer is not None and answer.text == text("button.stale")
    # Someone who never joined.
    greeting = await say(bot, stranger, "/start")
    answer = await press_data(bot, stranger, greeting, f"pf1:{budi_id}")
    assert answer is not None and answer.text == text("access.not_registered")
    # A mentor has no /portofolio of his own.
    reply = await say(bot, hasan, "/portofolio")
    assert reply.kind == "text"

    assert telegram.calls_to("sendDocument") == []
    assert await audit_entries(engine) == []


async def test_the_command_line_writes_the_pdf_with_its_photos_without_a_token(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    team, _, _ = await story(bot, telegram, engine, now)
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_ROOT", "ADMIN_TELEGRAM_IDS", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "id")
    grouped = "19800115 200501 1 001"
    assert grouped.replace(" ", "") == team["budi"].nip

    # Without a token: the photo comes from the evidence store, kept when Budi sent it.
    out = tmp_path / "budi.pdf"
    assert await asyncio.to_thread(main, ["portfolio", grouped, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert str(out) in captured.out
    check_portfolio(out.read_bytes())
    assert [name for name in os.listdir(tmp_path) if name.endswith(".tmp")] == []

    # A token changes nothing; the NIP may be split over several args.
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_ROOT", telegram.api_root)
    args: list[Any] = ["portfolio", *grouped.split(), "--out", str(out)]
    assert await asyncio.to_thread(main, args) == 0
    assert capsys.readouterr().err == ""
    check_portfolio(out.read_bytes())

    entries = await audit_entries(engine)
    assert len(entries) == 2
    assert all(e.actor_id is None and (e.actor_label or "").startswith("cli") for e in entries)

    # In English on request.
    assert (
        await asyncio.to_thread(
            main, ["portfolio", team["budi"].nip, "--out", str(out), "--language", "en"]
        )
        == 0
    )
    _, words = pdf_text(out.read_bytes())
    assert "Page 1 of" in words and "Progress Reports" in words


async def test_the_command_line_refuses_unknown_and_malformed_nips(
    engine: AsyncEngine,
    now: datetime,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    team = await import_roster(engine, now)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "id")
    out = tmp_path / "x.pdf"

    unknown = "19900101 201501 1 009"
    assert await asyncio.to_thread(main, ["portfolio", unknown, "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip() == text("portfolio.error.unknown_nip", nip=unknown)

    # A mentor's NIP is no participant's.
    mentor = team["bambang"].nip
    assert await asyncio.to_thread(main, ["portfolio", mentor, "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip() == text("portfolio.error.unknown_nip", nip=mentor)

    assert await asyncio.to_thread(main, ["portfolio", "12345", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


async def test_an_admin_may_take_any_portfolio_and_it_is_audited(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    admin = telegram.user(ADMIN_ID, "Admin")
    menu = await say(bot, admin, "/bantuan")
    budi_id = await person_id(engine, team["budi"].nip)

    answer = await press_data(bot, admin, menu, f"pf1:{budi_id}")

    assert answer is not None and answer.text is None  # answered without a refusal
    document = admin.last
    assert document.kind == "document" and document.file_id is not None
    stored = telegram.file(document.file_id)
    assert stored is not None
    _, words = pdf_text(stored.data)
    assert "Budi Santoso" in words and "Belum ada laporan kemajuan." in words
    [entry] = await audit_entries(engine)
    assert entry.details["relation"] == "admin" and entry.details["participant_id"] == budi_id


def test_the_command_has_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "portfolio", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0 and "penggunaan: properbot portfolio" in done.stdout


async def test_who_may_have_whose_portfolio(engine: AsyncEngine, now: datetime) -> None:
    organizer = "penyelenggara,Rina Kartika,199001012015012001,BPSDM Sumsel,Analis,WIB,,,"
    team = await import_roster(engine, now, SMALL_ROSTER + "\n" + organizer)
    ids = {handle: await person_id(engine, member.nip) for handle, member in team.items()}
    budi = ids["budi"]

    async def relation(viewer: str | None, *, global_admin: bool = False) -> str:
        async with session_factory(engine)() as session:
            try:
                found = await portfolio.check_access(
                    session,
                    budi,
                    viewer_id=ids[viewer] if viewer else None,
                    global_admin=global_admin,
                )
            except UserFacingError as exc:
                return exc.key
            return found.value

    refused = "portfolio.error.not_allowed"
    assert await relation("budi") == "self"
    assert await relation("bambang") == "mentor"
    assert await relation("lina") == "coach"
    assert await relation("rina") == "admin"  # an organizer of Budi's cohort
    assert await relation(None, global_admin=True) == "admin"
    for stranger in ("hasan", "teguh", "nurhayati"):
        assert await relation(stranger) == refused, stranger
    assert await relation(None) == refused

    # Budi leaves the cohort (left out of the next import): his advisors lose access, his own
    # record stays his, and the organizer can still hand it out.
    await import_roster(
        engine,
        now,
        "\n".join(line for line in SMALL_ROSTER.splitlines() if "Budi" not in line)
        + "\n"
        + organizer,
    )
    assert await relation("bambang") == refused
    assert await relation("lina") == refused
    assert await relation("budi") == "self"
    assert await relation("rina") == "admin"
