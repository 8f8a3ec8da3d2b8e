"""`properbot run` with WhatsApp set up and no Telegram bot: a deployment on WhatsApp alone.
The active worker runs without a Telegram application; its adapter answers, its sender relays
a report to the mentor and its scheduler runs. With neither channel set up it refuses."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import main
from domain.enums import Channel
from domain.i18n import translator
from fakewa import FakePerson, FakeWhatsApp, OutgoingMessage
from models import InboxUpdate, RelayedMessage
from models.db import session_factory
from services import inbox
from tests.factories import add_milestones, import_roster
from tests.integration.processes import RunProcess, until_listening
from tests.integration.whatsapp_harness import text

BUDI = "6281234567890"
BAMBANG = "6281122223333"
VERIFY_TOKEN = "verifikasi-Rahasia-2026"
REPLY_TIMEOUT = 30.0
T = translator("id")


def _environment(database_url: str, wa: FakeWhatsApp) -> dict[str, str]:
    """The machine's environment without any channel settings, then WhatsApp's alone."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "WHATSAPP_", "ADMIN_", "DEFAULT_LANGUAGE"))
    }
    return {
        **clean,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
        "WHATSAPP_PHONE_NUMBER_ID": wa.phone_number_id,
        "WHATSAPP_ACCESS_TOKEN": wa.access_token,
        "WHATSAPP_APP_SECRET": wa.app_secret,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_API_ROOT": wa.api_root,
    }


async def _join(person: FakePerson, code: str) -> None:
    person.send(f"DAFTAR {code}")
    consent = await person.next_reply(timeout=REPLY_TIMEOUT)
    person.press(consent, "Setuju")
    for _ in range(3):  # recorded, the cohort, the menu
        await person.next_reply(timeout=REPLY_TIMEOUT)


async def _answer(person: FakePerson) -> OutgoingMessage:
    return await person.next_reply(timeout=REPLY_TIMEOUT)


async def _recorded(engine: AsyncEngine, wamid: str) -> None:
    """Until the relay sent as `wamid` is recorded (replies to it then thread)."""
    query = select(RelayedMessage.id).where(RelayedMessage.message_ref == wamid)
    for _ in range(int(REPLY_TIMEOUT * 10)):
        async with session_factory(engine)() as session:
            if await session.scalar(query) is not None:
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"relay {wamid} not recorded within {REPLY_TIMEOUT} s")


async def test_run_on_whatsapp_alone_answers_reports_and_relays(
    database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    # Stored while a Telegram bot was set up: skipped, not left pending for ever.
    leftover = {"update_id": 7, "message": {"message_id": 1, "date": 0, "text": "/start",
                "chat": {"id": 5, "type": "private"}, "from": {"id": 5, "is_bot": False,
                "first_name": "Tamu"}}}  # fmt: skip
    async with session_factory(engine)() as session, session.begin():
        assert await inbox.store(session, Channel.TELEGRAM.value, leftover, now)
    async with FakeWhatsApp() as wa:
        run = RunProcess("wa-only", _environment(database_url, wa), tmp_path)
        await run.start()
        try:
            await until_listening(run.url)
            await wa.set_webhook(f"{run.url}/whatsapp", VERIFY_TOKEN)
            budi, bambang = wa.person(BUDI, "Budi"), wa.person(BAMBANG, "Bambang")
            await _join(budi, team["budi"].code)
            await _join(bambang, team["bambang"].code)

            budi.send("LAPOR")
            chooser = await _answer(budi)
            budi.choose(chooser, chooser.row_titles[0])
            await _answer(budi)  # what was done
            budi.send("Sosialisasi aplikasi ke 12 OPD.")
            budi.press(await _answer(budi), "Lewati")  # obstacles
            budi.press(await _answer(budi), "Lewati")  # next steps
            budi.press(await _answer(budi), "Lewati")  # evidence
            budi.choose(await _answer(budi), "60%")
            budi.press(await _answer(budi), "Kirim")
            assert "Laporan tersimpan" in ((await _answer(budi)).text or "")

            # The relay goes through the outbox: the sender runs with no Telegram bot.
            relay = await _answer(bambang)
            assert "Sosialisasi aplikasi ke 12 OPD." in (relay.text or "")
            assert "✏️ Minta revisi" in relay.button_titles
            # A person answers after the sender has recorded the relay (fakewa shows it the
            # moment Meta accepts it, a little before the sender's record is committed).
            await _recorded(engine, relay.wamid)
            bambang.send("Bagus. Mohon lampirkan daftar hadir.", reply_to=relay)
            sent = await _answer(bambang)
            assert sent.text == text("note.sent", relation="Peserta", name=team["budi"].name)
            note = await _answer(budi)
            assert "Mohon lampirkan daftar hadir." in (note.text or "")
        finally:
            await run.stop()
    assert run.returncode == 0, run.tail()
    log = "".join(run.log)
    assert T("cli.run.starting_whatsapp", path="/whatsapp") in log
    assert "Traceback" not in log, run.tail()
    assert "came by Telegram, which is not set up" in log
    async with session_factory(engine)() as session:
        skipped = await session.scalar(
            select(InboxUpdate.status).where(InboxUpdate.channel == Channel.TELEGRAM.value)
        )
        assert skipped == inbox.DONE
    assert wa.access_token not in log and wa.app_secret not in log


def test_run_with_neither_channel_names_what_is_missing(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "WHATSAPP_", "DEFAULT_LANGUAGE")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", database_url)

    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "TELEGRAM_BOT_TOKEN" in err and "WHATSAPP_PHONE_NUMBER_ID" in err
