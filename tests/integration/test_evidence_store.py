"""The evidence store: every file a participant sends is kept once, when it arrives; the
portfolio reads it without Telegram, erasure removes it, old reports can fetch theirs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from bot.settings import Settings
from domain.enums import Channel
from fakegram import FakeTelegram
from models import AuditEntry, Evidence
from models.db import session_factory
from storage.evidence_store import FolderStore
from tests.factories import add_milestones, import_roster
from tests.integration.helpers import press, text
from tests.integration.stories import (
    cli,
    cli_env,
    finish_report,
    join,
    photo_bytes,
    sha,
    start_report,
    stored_files,
)

# Fixtures from the stories, which pytest finds by name in this module.
__all__ = ["cli_env"]

# A token the settings accept, so `properbot evidence fetch` can reach the same fake server.
TOKEN = "123456:EVIDENCEtestTOKENabcdefghij"
MINUTES = b"%PDF-1.4 notulen rapat koordinasi tim efektif"


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN, bot_username="properbot_test_bot") as server:
        yield server


def store_of(settings: Settings) -> FolderStore:
    assert settings.evidence_dir is not None
    return FolderStore(settings.evidence_dir)


async def evidence_rows(engine: AsyncEngine) -> list[Evidence]:
    async with session_factory(engine)() as session:
        return list(await session.scalars(select(Evidence).order_by(Evidence.id)))


async def test_a_photo_and_a_document_are_kept_by_their_sha256_when_they_arrive(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, settings: Settings
) -> None:
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    photo = photo_bytes()

    await start_report(bot, budi, "Rapat perdana tim efektif sudah terlaksana.")
    budi.send_photo(photo, caption="Foto rapat")
    await bot.settle()
    # Kept at once, before the report is even sent.
    assert stored_files(settings) == {sha(photo)}
    budi.send_document(MINUTES, filename="notulen.pdf", mime_type="application/pdf")
    await bot.settle()
    await finish_report(bot, budi)

    assert budi.last.plain.startswith("✅ Laporan tersimpan")
    rows = await evidence_rows(engine)
    assert [(r.kind.value, r.sha256, r.file_size) for r in rows] == [
        ("photo", sha(photo), len(photo)),
        ("document", sha(MINUTES), len(MINUTES)),
    ]
    assert rows[1].mime_type == "application/pdf" and rows[1].file_name == "notulen.pdf"
    # The channel's own reference (Telegram's file_id) stays beside it, as the cache relays use.
    assert all(r.channel == Channel.TELEGRAM and r.channel_file_ref for r in rows)
    store = store_of(settings)
    assert await store.get(sha(photo)) == photo
    assert await store.get(sha(MINUTES)) == MINUTES
    assert stored_files(settings) == {sha(photo), sha(MINUTES)}


async def test_a_file_telegram_cannot_give_is_refused_clearly_and_can_be_sent_again(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, settings: Settings
) -> None:
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    await start_report(bot, budi, "Sosialisasi aplikasi aduan.")

    lost = budi.send_photo(photo_bytes((200, 30, 30)))
    assert lost.file_id is not None
    telegram.files.forget(lost.file_id)  # gone before the bot could download it
    await bot.settle()

    # The reason, and the question again: nothing was counted, it may be skipped or resent.
    assert budi.last.plain.startswith(text("report.evidence.download_failed"))
    assert text("report.ask_evidence", count=0).split("\n")[0] in budi.last.plain
    assert budi.last.button_texts == ["Lewati"]
    assert stored_files(settings) == set()

    # Sent again, it is kept and counted.
    again = photo_bytes((30, 200, 30))
    budi.send_photo(again)
    await bot.settle()
    assert text("report.ask_evidence", count=1).split("\n")[0] in budi.last.plain
    await finish_report(bot, budi)

    rows = await evidence_rows(engine)
    assert [r.sha256 for r in rows] == [sha(again)]
    assert stored_files(settings) == {sha(again)}


async def test_a_refused_file_alone_leaves_no_evidence_row(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    await start_report(bot, budi, "Sosialisasi aplikasi aduan.")

    lost = budi.send_document(MINUTES, filename="notulen.pdf", mime_type="application/pdf")
    assert lost.file_id is not None
    telegram.files.forget(lost.file_id)
    await bot.settle()
    assert budi.last.plain.startswith(text("report.evidence.download_failed"))
    await finish_report(bot, budi, "40%")

    assert budi.last.plain.startswith("✅ Laporan tersimpan")
    assert await evidence_rows(engine) == []


async def test_a_photo_sent_outside_a_report_is_kept_when_saved_as_one(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, settings: Settings
) -> None:
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    photo = photo_bytes()

    budi.send_photo(photo, caption="Peluncuran aplikasi aduan")
    await bot.settle()
    offer = budi.last
    assert offer.plain == text("report.offer_save")
    assert stored_files(settings) == {sha(photo)}
    await press(bot, budi, offer, offer.button_texts[0])
    await finish_report(bot, budi)

    assert [r.sha256 for r in await evidence_rows(engine)] == [sha(photo)]


async def test_the_portfolio_from_the_command_line_needs_no_token_for_its_photos(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    settings: Settings,
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    photo = photo_bytes()
    await start_report(bot, budi, "Rapat perdana tim efektif sudah terlaksana.")
    budi.send_photo(photo)
    await bot.settle()
    await finish_report(bot, budi)

    out = cli_env / "budi.pdf"
    assert await cli(["portfolio", team["budi"].nip, "--out", str(out)]) == 0
    assert capsys.readouterr().err == ""
    images = [i for page in PdfReader(out).pages for i in page.images]
    assert len(images) == 1 and images[0].image is not None
    assert images[0].image.size == (400, 300)

    # A photo gone from the store: a placeholder and a warning saying what to do.
    await store_of(settings).delete(sha(photo))
    assert await cli(["portfolio", team["budi"].nip, "--out", str(out)]) == 0
    assert capsys.readouterr().err.strip() == text("cli.portfolio.photos_not_stored", count=1)
    assert [i for page in PdfReader(out).pages for i in page.images] == []


async def test_erasure_deletes_the_persons_files_but_not_bytes_someone_else_sent_too(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    settings: Settings,
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    await add_milestones(engine, team["nurhayati"].nip, now, [("Uji coba posyandu", 12)])
    budi = await join(bot, telegram, 1001, team["budi"].code)
    nur = await join(bot, telegram, 1002, team["nurhayati"].code)
    own, shared, draft = photo_bytes((1, 2, 3)), photo_bytes((4, 5, 6)), photo_bytes((7, 8, 9))

    await start_report(bot, budi, "Rapat perdana tim efektif sudah terlaksana.")
    budi.send_photo(own)
    await bot.settle()
    budi.send_photo(shared)  # the same group photo Nurhayati sends
    await bot.settle()
    await finish_report(bot, budi)
    await start_report(bot, nur, "Uji coba posyandu digital.")
    nur.send_photo(shared)
    await bot.settle()
    await finish_report(bot, nur)
    # And a report Budi left half-written, with a photo in it.
    await start_report(bot, budi, "Draf yang belum dikirim.")
    budi.send_photo(draft)
    await bot.settle()
    assert stored_files(settings) == {sha(own), sha(shared), sha(draft)}

    # His data export lists each file by its key.
    export = cli_env / "budi.json"
    assert await cli(["person", "export", team["budi"].nip, "--out", str(export)]) == 0
    data = json.loads(export.read_text("utf-8"))
    keys = [e["sha256"] for r in data["reports"] for e in r["evidence"]]
    assert keys == [sha(own), sha(shared)]
    capsys.readouterr()

    assert await cli(["person", "erase", team["budi"].nip, "--yes"]) == 0
    assert text("cli.person.erase.files", n=2) in capsys.readouterr().out

    assert stored_files(settings) == {sha(shared)}
    assert [r.sha256 for r in await evidence_rows(engine)] == [sha(shared)]
    async with session_factory(engine)() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "person.erase"))
        assert entry is not None and entry.details["files_deleted"] == 2


async def test_evidence_fetch_brings_files_from_before_the_store_into_it(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    settings: Settings,
    cli_env: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    kept, lost = photo_bytes((1, 1, 1)), photo_bytes((2, 2, 2))
    await start_report(bot, budi, "Rapat perdana tim efektif sudah terlaksana.")
    budi.send_photo(kept)
    await bot.settle()
    gone = budi.send_photo(lost)
    await bot.settle()
    await finish_report(bot, budi)
    # As reports from before the store look: no key, nothing stored, only the file_id.
    async with session_factory(engine)() as session, session.begin():
        await session.execute(update(Evidence).values(sha256=None, file_size=None))
    for data in (kept, lost):
        await store_of(settings).delete(sha(data))
    assert gone.file_id is not None
    telegram.files.forget(gone.file_id)  # and one of them Telegram no longer has

    # Without a token: the setting is named.
    assert await cli(["evidence", "fetch"]) == 2
    assert "TELEGRAM_BOT_TOKEN" in capsys.readouterr().err

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_ROOT", telegram.api_root)
    assert await cli(["evidence", "fetch"]) == 1
    captured = capsys.readouterr()
    # The command line finds the bot's folder by default (beside SQLite, or ./evidence).
    folder = str(Settings.from_mapping({"DATABASE_URL": database_url}).evidence_dir)
    assert captured.out.strip() == text(
        "cli.evidence.fetch.done", folder=folder, fetched=1, failed=1
    )
    rows = await evidence_rows(engine)
    assert [(r.sha256, r.file_size) for r in rows] == [(sha(kept), len(kept)), (None, None)]
    assert stored_files(settings) == {sha(kept)}
    assert f"#{rows[1].id}" in captured.err

    # Again: only the one still missing is tried.
    assert await cli(["evidence", "fetch"]) == 1
    assert capsys.readouterr().out.strip() == text(
        "cli.evidence.fetch.done", folder=folder, fetched=0, failed=1
    )
