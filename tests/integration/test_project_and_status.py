"""/proyek editing with dates as people type them, /status at a glance, /peserta and timelines."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from domain.clock import ManualClock
from domain.enums import Horizon
from fakegram import FakeTelegram
from models import Milestone, Project
from models.db import session_factory
from tests.factories import add_milestones, import_roster
from tests.integration.helpers import press, say, text
from tests.integration.stories import join, report


async def milestones_of(engine: AsyncEngine) -> list[Milestone]:
    async with session_factory(engine)() as session:
        return list(
            await session.scalars(
                select(Milestone).where(Milestone.removed_at.is_(None)).order_by(Milestone.id)
            )
        )


async def test_participant_writes_the_project_and_adds_a_milestone_with_a_typed_date(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)

    overview = await say(bot, budi, "/proyek")
    await press(bot, budi, overview, "✏️ Rumusan masalah")
    await say(bot, budi, "Aduan warga tersebar di 14 kanal dan tidak terpantau.")
    assert "Aduan warga tersebar di 14 kanal" in budi.last.plain
    async with session_factory(engine)() as session:
        project = await session.scalar(
            select(Project).where(Project.title == "Layanan Aduan Warga Terpadu")
        )
        assert project is not None and project.problem is not None

    await press(bot, budi, budi.last, "➕ Tambah tahapan")
    await say(bot, budi, "Penyusunan SOP layanan aduan")
    await press(bot, budi, budi.last, "Jangka pendek")
    reply = await say(bot, budi, "kemarin")
    assert reply.plain.startswith('Tanggal "kemarin"') or "sudah lewat" in reply.plain
    reply = await say(bot, budi, "1/11/2026")  # yesterday in Palembang
    assert reply.plain == text("date.error.past", date="Minggu, 1 November 2026")
    confirm = await say(bot, budi, "25 Des")
    assert confirm.plain == text(
        "milestone.confirm_date", date="Jumat, 25 Desember 2026", zone="WIB"
    )
    await press(bot, budi, confirm, "Ya")
    await say(bot, budi, "SOP yang ditandatangani Kepala Dinas")

    assert budi.inbox[-2].plain == text("milestone.added", title="Penyusunan SOP layanan aduan")
    [milestone] = await milestones_of(engine)
    assert milestone.due_on == date(2026, 12, 25) and milestone.horizon is Horizon.SHORT
    assert milestone.expected_output == "SOP yang ditandatangani Kepala Dinas"


async def test_milestone_fields_can_be_changed_and_the_date_is_read_back(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now, [("Rapat", 10)])
    budi = await join(bot, telegram, 1001, team["budi"].code)

    overview = await say(bot, budi, "/proyek")
    await press(bot, budi, overview, "✏️ Rapat")
    await press(bot, budi, budi.last, "Tanggal target")
    confirm = await say(bot, budi, "minggu depan")
    assert "Senin, 9 November 2026" in confirm.plain
    await press(bot, budi, confirm, "Ganti tanggal")
    confirm = await say(bot, budi, "31/02/2027")
    assert confirm.plain == text("date.error.impossible", value="31/02/2027")
    confirm = await say(bot, budi, "besok")
    await press(bot, budi, confirm, "Ya")
    [milestone] = await milestones_of(engine)
    assert milestone.due_on == date(2026, 11, 3)

    await press(bot, budi, budi.last, "✏️ Rapat")
    await press(bot, budi, budi.last, "Jangka waktu")
    await press(bot, budi, budi.last, "Jangka panjang")
    [milestone] = await milestones_of(engine)
    assert milestone.horizon is Horizon.LONG


async def test_status_shows_bars_lateness_approval_and_feedback_in_the_users_zone(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, clock: ManualClock
) -> None:
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now, [("Rapat", 1), ("Uji coba", 20)])
    budi = await join(bot, telegram, 1001, team["budi"].code)
    bambang = await join(bot, telegram, 1005, team["bambang"].code)
    await report(bot, budi, "Rapat", "Rapat selesai.", "100%")
    await press(bot, bambang, bambang.last, "✅ Setujui")
    await report(bot, budi, "Uji coba", "Uji coba tahap 1.", "40%")
    bambang.send("Perluas ke dua kelurahan lagi.", reply_to=bambang.last)
    await bot.settle()

    clock.advance(timedelta(days=25))  # Uji coba is now overdue
    status = (await say(bot, budi, "/status")).plain

    assert "▰▰▰▰▰▰▰▰▰▰ 100%" in status and "▰▰▰▰▱▱▱▱▱▱ 40%" in status
    assert (
        "✅ Disetujui oleh Dr. Ir. Bambang Wijaya pada Senin, 2 November 2026, 08.00 WIB" in status
    )
    assert status.count("terlambat") == 1
    assert "Perluas ke dua kelurahan lagi." in status
    assert "Kemajuan keseluruhan: ▰▰▰▰▰▰▰▱▱▱ 70%" in status


async def test_peserta_shows_waiting_reports_and_opens_a_paged_timeline(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime, clock: ManualClock
) -> None:
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now, [("Rapat", 10), ("Uji coba", 20)])
    budi = await join(bot, telegram, 1001, team["budi"].code)
    lina = await join(bot, telegram, 1006, team["lina"].code)
    for n in range(1, 5):
        clock.advance(timedelta(hours=1))
        await report(bot, budi, "Rapat", f"Laporan ke-{n}.", f"{n * 10}%")
    lina.send("Catatan untuk laporan keempat.", reply_to=lina.last)
    await bot.settle()

    listing = await say(bot, lina, "/peserta")
    assert "menunggu umpan balik: 3" in listing.plain
    assert "Laporan terakhir: Senin, 2 November 2026, 12.00 WIB" in listing.plain
    assert listing.button_texts[0] == "Budi Santoso · 20% · ⏳3"

    await press(bot, lina, listing, listing.button_texts[0])
    first = lina.last
    assert "halaman 1 dari 2" in first.plain
    assert "Laporan ke-4." in first.plain and "Catatan untuk laporan keempat." in first.plain
    assert "Laporan ke-1." not in first.plain
    # The page navigation first, then the portfolio on a row of its own, on every page.
    assert [[b.text for b in row] for row in first.buttons] == [["▶"], [text("portfolio.button")]]
    portfolio_data = first.buttons[1][0].callback_data
    await press(bot, lina, first, "▶")
    assert "halaman 2 dari 2" in first.plain and "Laporan ke-1." in first.plain  # edited in place
    assert [[b.text for b in row] for row in first.buttons] == [["◀"], [text("portfolio.button")]]
    assert first.buttons[1][0].callback_data == portfolio_data  # still Budi's
