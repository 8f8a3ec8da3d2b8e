"""A presenter sends the laporan and bahan tayang in the chat (from /bahan or from the request's
"Kirim bahan" button); every version is kept in the evidence store and goes on to the mentor,
the coach and the examiner; the organizer sees who has not sent what; the export lists them."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from domain.clock import ManualClock
from domain.materials import MaterialKind
from domain.timezones import WIB
from fakegram import FakeTelegram
from handlers.runtime import Runtime
from models import AuditEntry
from models.db import session_factory
from services.exports import cohort_export
from tests.conftest import ADMIN_ID
from tests.factories import COHORT
from tests.integration.helpers import press, press_data, say, text
from tests.integration.stories import (
    MATERIALS_DAY,
    PDF,
    PPTX,
    at,
    connections_in_use,
    deliver,
    materials,
    run_sweep,
    upload,
)
from tests.integration.stories import seminar_cast as cast


async def test_two_versions_of_the_laporan_reach_mentor_coach_and_examiner(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    people, ids, seminar_id = await cast(bot, telegram, engine, now)
    budi = people["budi"]

    asked = await say(bot, budi, "/bahan")
    assert "Bahan seminar rancangan" in asked.plain and COHORT in asked.plain
    assert asked.button_texts == ["Laporan", "Bahan tayang"]
    await press(bot, budi, asked, "Laporan")
    assert budi.last.plain.startswith("Laporan: silakan kirim berkasnya sebagai dokumen")
    budi.send_document(b"%PDF-1.4 laporan versi satu", "laporan-budi.pdf", PDF)
    await bot.settle()
    receipt = budi.last.plain
    assert receipt.startswith("✅ Laporan versi 1 untuk seminar rancangan telah diterima")
    assert "• Dr. Ir. Bambang Wijaya (Mentor)" in receipt
    assert "• Dr. Lina Marliani (Coach)" in receipt
    assert "• Prof. Teguh Santoso (Penguji)" in receipt
    assert "Hasan" not in receipt

    await deliver(bot)
    for handle in ("bambang", "lina", "teguh"):
        got = people[handle].last
        assert got.kind == "document", handle
        assert got.plain.startswith("📎 Laporan seminar rancangan (versi 1)")
        assert "Penyaji: Budi Santoso" in got.plain
    assert not any(m.kind == "document" for m in people["hasan"].inbox)

    # A better draft the next day: version 2, the first one kept.
    second = await upload(bot, budi, "Laporan", b"%PDF-1.4 laporan versi dua", "laporan-v2.pdf")
    assert second.plain.startswith("✅ Laporan versi 2 untuk seminar rancangan")
    await deliver(bot)
    assert people["bambang"].last.plain.startswith("📎 Laporan seminar rancangan (versi 2)")
    received = telegram.files.get(people["bambang"].last.file_id)
    assert received is not None and received.data == b"%PDF-1.4 laporan versi dua"

    kept = await materials(engine)
    assert [(m.kind, m.version, m.file_name) for m in kept] == [
        (MaterialKind.REPORT, 1, "laporan-budi.pdf"),
        (MaterialKind.REPORT, 2, "laporan-v2.pdf"),
    ]
    assert all(m.presenter_id == ids["budi"] and m.seminar_id == seminar_id for m in kept)
    # The bytes were fetched on arrival and live in the evidence store; file_id is a cache.
    store = Runtime.of(bot.app).evidence_store
    assert await store.get(kept[0].sha256) == b"%PDF-1.4 laporan versi satu"
    assert await store.get(kept[1].sha256) == b"%PDF-1.4 laporan versi dua"
    assert kept[1].size == len(b"%PDF-1.4 laporan versi dua") and kept[1].channel_file_ref

    async with session_factory(engine)() as session:
        audited = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "seminar.material"))
        )
    assert [e.details["version"] for e in audited] == [1, 2]


async def test_only_documents_of_the_right_kind_are_taken(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    people, _, _ = await cast(bot, telegram, engine, now)
    budi = people["budi"]
    asked = await say(bot, budi, "/bahan")
    await press(bot, budi, asked, "Bahan tayang")

    budi.send_photo()
    await bot.settle()
    assert budi.last.plain == text("materials.error.not_document")
    budi.send_document(b"MZ", "paparan.pptx.exe", "application/octet-stream")
    await bot.settle()
    assert budi.last.plain == text("materials.error.unsupported", name="paparan.pptx.exe")
    budi.send("ini paparannya")
    await bot.settle()
    assert budi.last.plain == text("materials.send_file")
    assert await materials(engine) == []

    # Still waiting for the file: the right one is taken.
    budi.send_document(b"PK slides", "paparan.pptx", PPTX)
    await bot.settle()
    assert budi.last.plain.startswith("✅ Bahan tayang versi 1")
    assert [m.kind for m in await materials(engine)] == [MaterialKind.SLIDES]


async def test_the_request_carries_a_send_button_for_the_presenter_only(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    clock: ManualClock,
    now: datetime,
) -> None:
    people, _, seminar_id = await cast(bot, telegram, engine, now)
    budi, hasan = people["budi"], people["hasan"]
    clock.set(at(MATERIALS_DAY, time(8), WIB))
    await run_sweep(engine, clock.now())
    await deliver(bot)
    request = next(m for m in budi.inbox if m.plain.startswith("📎 Laporan dan bahan tayang"))
    assert request.button_texts == ["📎 Kirim bahan"]
    # The request names its own button; nobody is sent to the organizer with the files.
    assert '"Kirim bahan"' in request.plain and "penyelenggara" not in request.plain

    await press(bot, budi, request, "📎 Kirim bahan")
    assert budi.last.button_texts == ["Laporan", "Bahan tayang"]
    await press(bot, budi, budi.last, "Bahan tayang")
    budi.send_document(b"PK slides", "paparan.pptx", PPTX)
    await bot.settle()
    assert budi.last.plain.startswith("✅ Bahan tayang versi 1")

    # Someone else replaying the button, forged ids and a stale kind button are refused.
    hello = await say(bot, hasan, "/bantuan")
    answer = await press_data(bot, hasan, hello, f"bh1:s:{seminar_id}")
    assert answer.text == text("materials.error.not_presenter")
    answer = await press_data(bot, hasan, hello, f"bh1:k:{seminar_id}:l")
    assert answer.text == text("button.stale")
    for forged in (f"bh1:s:{2**31}", f"bh1:s:{2**63}", "bh1:s:x", f"bh1:k:{seminar_id}:z"):
        answer = await press_data(bot, budi, request, forged)
        assert answer.text == text("button.stale"), forged
    assert len(await materials(engine)) == 1


async def test_the_organizer_sees_who_has_not_sent_what_and_the_export_lists_it(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    clock: ManualClock,
    now: datetime,
) -> None:
    people, _, seminar_id = await cast(bot, telegram, engine, now)
    await upload(bot, people["budi"], "Laporan", b"%PDF-1.4 v1", "laporan.pdf")
    await upload(bot, people["budi"], "Laporan", b"%PDF-1.4 v2", "laporan.pdf")
    admin = telegram.user(ADMIN_ID, "Siti")

    await say(bot, admin, "/seminar")
    listing = admin.inbox[-2]
    await press(bot, admin, listing, f"📋 Rincian #{seminar_id}")
    detail = admin.last.plain
    assert detail.startswith(f"📋 Seminar rancangan #{seminar_id} (terjadwal)")
    assert "Bahan seminar (belum dikirim: 3 dari 4 berkas)" in detail
    budi_part = detail.split("• Budi Santoso\n")[1].split("• Nurhayati")[0]
    assert "Laporan: versi 2, Senin, 2 November 2026, 08.00 WIB" in budi_part
    assert "Bahan tayang: ❗ belum dikirim" in budi_part
    assert detail.count("❗ belum dikirim") == 3
    assert admin.last.button_texts == ["🖨 Daftar hadir (PDF)"]

    # Not for a participant, nor for a forged seminar number.
    answer = await press_data(bot, people["budi"], people["budi"].last, f"sd1:v:{seminar_id}")
    assert answer.text == text("access.role_required", roles="Penyelenggara")
    answer = await press_data(bot, admin, listing, "sd1:v:99999")
    assert answer.text == text("seminar.error.unknown", id=99999)

    async with session_factory(engine)() as session:
        export = await cohort_export(session, COHORT, now=clock.now())
    assert [(m.presenter, m.kind, m.version, m.latest) for m in export.seminar_materials] == [
        ("Budi Santoso", MaterialKind.REPORT, 1, False),
        ("Budi Santoso", MaterialKind.REPORT, 2, True),
    ]


async def test_a_file_being_downloaded_holds_no_database_connection(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    people, _, _ = await cast(bot, telegram, engine, now)
    budi = people["budi"]
    asked = await say(bot, budi, "/bahan")
    await press(bot, budi, asked, "Laporan")

    # Telegram's file server is slow: the laporan (up to 20 MB) takes a while to arrive...
    telegram.hold_downloads()
    budi.send_document(b"%PDF-1.4 laporan", "laporan.pdf", PDF)
    await telegram.wait_for(lambda: telegram.downloads_waiting == 1)
    # ...and meanwhile no connection is taken from the pool's few.
    assert connections_in_use(engine) == 0

    telegram.release_downloads()
    await bot.settle()
    assert budi.last.plain.startswith("✅ Laporan versi 1")
    assert [m.version for m in await materials(engine)] == [1]


async def test_a_failed_download_keeps_the_question_open(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    people, _, _ = await cast(bot, telegram, engine, now)
    budi = people["budi"]
    asked = await say(bot, budi, "/bahan")
    await press(bot, budi, asked, "Laporan")
    lost = budi.send_document(b"%PDF-1.4 laporan", "laporan.pdf", PDF)
    assert lost.file_id is not None
    telegram.files.forget(lost.file_id)  # gone before the bot could download it
    await bot.settle()
    assert budi.last.plain == text("materials.error.download")
    assert await materials(engine) == []
    # Still asked for the file: sending it again works.
    budi.send_document(b"%PDF-1.4 laporan", "laporan.pdf", PDF)
    await bot.settle()
    assert budi.last.plain.startswith("✅ Laporan versi 1")
