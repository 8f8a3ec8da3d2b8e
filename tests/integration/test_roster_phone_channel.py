"""A roster with mobile numbers and channels: stored, updated on re-import, and the invites
(text and CSV) give each person their channel's link, or both when the roster names none."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import main
from bot.harness import RunningBot, running_bot
from bot.settings import Settings
from domain.clock import ManualClock
from domain.enums import Channel
from fakegram import FakeTelegram
from models import Person
from models.db import create_engine, session_factory
from tests.conftest import ADMIN_ID
from tests.factories import import_roster
from tests.integration.helpers import press, say

COHORT = "PKN II Angkatan XL"
BOT = "properbot_test_bot"
BUSINESS = "+62 811-1000-2000"
MENTOR = "196608121992031004"
SITI = "198703152010012001"
BUDI = "197501011999031002"
ROSTER = (
    "Peran;Nama;NIP;NIP Mentor;No. HP;Kanal\n"
    f"mentor;Dr. Bambang Wijaya;{MENTOR};;+62 812-1111-2222;Telegram\n"
    f"peserta;Siti Rahma;{SITI};{MENTOR};0813-3333-4444;WhatsApp\n"
    f"peserta;Budi Santoso;{BUDI};{MENTOR};6285755556666;\n"
)


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_ROOT", "ADMIN_TELEGRAM_IDS", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "id")
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", BOT)
    monkeypatch.setenv("WHATSAPP_PHONE_NUMBER", BUSINESS)
    return tmp_path


def imported(folder: Path, text: str, capsys: pytest.CaptureFixture[str]) -> str:
    roster = folder / "roster.csv"
    roster.write_text(text, encoding="utf-8")
    assert main(["cohort", "import", str(roster), "--cohort", COHORT]) == 0
    return capsys.readouterr().out


def invites_csv(capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, str]]:
    assert main(["invites", "--cohort", COHORT, "--format", "csv"]) == 0
    return {row["nip"]: row for row in csv.DictReader(io.StringIO(capsys.readouterr().out))}


def telegram(code: str) -> str:
    return f"https://t.me/{BOT}?start={code}"


def whatsapp(code: str) -> str:
    return f"https://wa.me/6281110002000?text=DAFTAR%20{code}"


def stored(database_url: str) -> dict[str, tuple[str | None, Channel | None]]:
    """Each person's phone and channel, read with an engine of its own (the CLI runs its own
    event loop, so the test stays synchronous)."""

    async def read() -> dict[str, tuple[str | None, Channel | None]]:
        engine = create_engine(database_url)
        try:
            async with session_factory(engine)() as session:
                people = await session.scalars(select(Person).order_by(Person.id))
                return {p.nip or "": (p.phone, p.preferred_channel) for p in people}
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_phones_and_channels_are_stored_and_invites_give_the_right_links(
    cli_env: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    imported(cli_env, ROSTER, capsys)
    assert stored(database_url) == {
        MENTOR: ("+6281211112222", Channel.TELEGRAM),
        SITI: ("+6281333334444", Channel.WHATSAPP),
        BUDI: ("+6285755556666", None),
    }

    rows = invites_csv(capsys)
    mentor, siti, budi = rows[MENTOR], rows[SITI], rows[BUDI]
    assert (mentor["channel"], mentor["link"], mentor["whatsapp_link"]) == (
        "telegram",
        telegram(mentor["code"]),
        "",
    )
    assert (siti["channel"], siti["link"], siti["whatsapp_link"]) == (
        "whatsapp",
        "",
        whatsapp(siti["code"]),
    )
    assert (budi["channel"], budi["link"], budi["whatsapp_link"]) == (
        "",
        telegram(budi["code"]),
        whatsapp(budi["code"]),
    )

    assert main(["invites", "--cohort", COHORT]) == 0
    text = {line.split(" (")[0]: line for line in capsys.readouterr().out.splitlines()}
    assert telegram(mentor["code"]) in text["Dr. Bambang Wijaya"]
    assert "wa.me" not in text["Dr. Bambang Wijaya"]
    assert whatsapp(siti["code"]) in text["Siti Rahma"] and "t.me" not in text["Siti Rahma"]
    both = text["Budi Santoso"]
    assert f"Telegram: {telegram(budi['code'])}" in both
    assert f"WhatsApp: {whatsapp(budi['code'])}" in both


def test_reimport_updates_phone_and_channel_and_a_file_without_them_keeps_them(
    cli_env: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    imported(cli_env, ROSTER, capsys)
    changed = ROSTER.replace("0813-3333-4444;WhatsApp", "0813-9999-0000;telegram").replace(
        "6285755556666;", ";whatsapp"
    )
    out = imported(cli_env, changed, capsys)
    assert "tidak ada perubahan" not in out
    assert (stored(database_url))[SITI] == ("+6281399990000", Channel.TELEGRAM)
    assert (stored(database_url))[BUDI] == (None, Channel.WHATSAPP)

    # The same file again changes nothing.
    assert "tidak ada perubahan" in imported(cli_env, changed, capsys)

    # A roster without the columns leaves what earlier files said.
    plain = "\n".join(";".join(line.split(";")[:4]) for line in changed.splitlines()) + "\n"
    assert "tidak ada perubahan" in imported(cli_env, plain, capsys)
    assert (stored(database_url))[SITI] == ("+6281399990000", Channel.TELEGRAM)


def test_a_bad_phone_is_named_by_row_and_nothing_is_imported(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = cli_env / "bad.csv"
    roster.write_text(ROSTER.replace("0813-3333-4444", "0813-33"), encoding="utf-8")
    assert main(["cohort", "import", str(roster), "--cohort", COHORT]) == 2
    err = capsys.readouterr().err
    assert "Baris 3" in err and "0813-33" in err and "terlalu pendek" in err
    assert main(["invites", "--cohort", COHORT]) == 2


def test_without_the_business_number_only_telegram_links_are_given(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    imported(cli_env, ROSTER, capsys)
    monkeypatch.delenv("WHATSAPP_PHONE_NUMBER")
    rows = invites_csv(capsys)
    assert all(row["whatsapp_link"] == "" for row in rows.values())
    # Siti prefers WhatsApp, which the bot is not on: the Telegram link is what there is.
    assert rows[SITI]["link"] == telegram(rows[SITI]["code"])


# --- /undang ----------------------------------------------------------------------------------

CHAT_ROSTER = "\n".join(
    [
        "role,name,nip,mentor_nip,phone,channel",
        f"mentor,Dr. Bambang Wijaya,{MENTOR},,081211112222,telegram",
        f"peserta,Siti Rahma,{SITI},{MENTOR},081333334444,whatsapp",
        f"peserta,Budi Santoso,{BUDI},{MENTOR},,",
    ]
)
WA_LINK = re.compile(r"https://wa\.me/6281110002000\?text=DAFTAR%20([A-Z0-9]+)")
TG_LINK = re.compile(rf"https://t\.me/{BOT}\?start=([A-Z0-9]+)")


@pytest.fixture
async def wa_bot(
    telegram: FakeTelegram, settings: Settings, clock: ManualClock, engine: AsyncEngine
) -> AsyncIterator[RunningBot]:
    """The bot with a WhatsApp business number set, so invites carry wa.me links."""
    with_number = replace(settings, whatsapp_phone_number="+6281110002000")
    async with running_bot(telegram, with_number, clock=clock, engine=engine) as running:
        yield running


async def test_undang_gives_each_person_their_channels_link_and_both_when_unknown(
    wa_bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now, CHAT_ROSTER, cohort=COHORT)
    admin = telegram.user(ADMIN_ID, "Yulia")

    await press(wa_bot, admin, await say(wa_bot, admin, "/undang"), "Semua yang belum bergabung")
    intro = next(m for m in admin.inbox if m.plain and m.plain.startswith("Berikut tautan"))
    body = "\n".join(m.plain for m in admin.inbox[admin.inbox.index(intro) + 1 :])
    entries = {entry.split(" (")[0]: entry for entry in body.split("\n\n")[1:]}
    bambang, siti, budi = team["bambang"].code, team["siti"].code, team["budi"].code
    assert TG_LINK.findall(entries["Dr. Bambang Wijaya"]) == [bambang]
    assert WA_LINK.findall(entries["Dr. Bambang Wijaya"]) == []
    assert WA_LINK.findall(entries["Siti Rahma"]) == [siti]
    assert TG_LINK.findall(entries["Siti Rahma"]) == []
    assert TG_LINK.findall(entries["Budi Santoso"]) == [budi]
    assert WA_LINK.findall(entries["Budi Santoso"]) == [budi]
    assert "WhatsApp: https://wa.me/" in entries["Budi Santoso"]

    # One person's invitation to forward: the ready text carries their link.
    await say(wa_bot, admin, f"/undang {SITI}")
    invitation = admin.last.plain
    assert invitation.startswith("Yth. Ibu Siti Rahma,")
    assert WA_LINK.findall(invitation) == [siti] and not TG_LINK.findall(invitation)
    await say(wa_bot, admin, f"/undang {BUDI}")
    assert WA_LINK.findall(admin.last.plain) == [budi] == TG_LINK.findall(admin.last.plain)
