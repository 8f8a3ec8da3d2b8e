"""Updates run concurrently across users and in order for each: a slow portfolio holds up
nobody else, and a participant who types fast still gets every answer in turn."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from bot.harness import RunningBot
from bot.processor import PerUserUpdateProcessor
from fakegram import TINY_JPEG, FakeTelegram
from handlers import export as export_handler
from handlers import recap as recap_handler
from models import AuditEntry, Evidence
from models.db import session_factory
from tests.conftest import ADMIN_ID
from tests.factories import add_milestones, import_roster
from tests.integration.helpers import press, say, text
from tests.integration.test_reports import join, report


async def evidence_count(engine: AsyncEngine) -> int:
    async with session_factory(engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(Evidence)) or 0)


async def test_another_user_is_answered_while_a_portfolio_waits_for_its_photos(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    assert isinstance(bot.app.update_processor, PerUserUpdateProcessor)
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    await add_milestones(engine, team["nurhayati"].nip, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    nurhayati = await join(bot, telegram, 1002, team["nurhayati"].code)
    await report(bot, budi, "Rapat", "Rapat perdana tim efektif.", "60%", photos=1)

    # Budi asks for his portfolio; its photo download hangs (a slow Telegram file server).
    telegram.hold_downloads()
    budi_before = len(budi.inbox)
    budi.send("/portofolio")
    await telegram.wait_for(lambda: telegram.downloads_waiting == 1)
    # Budi's own next command waits behind his portfolio, in order.
    budi.send("/status")

    # Nurhayati is answered meanwhile; Budi is not, yet.
    nurhayati.send("/status")
    status = await telegram.wait_for(
        lambda: next((m for m in nurhayati.inbox if "Posyandu Digital" in (m.text or "")), None)
    )
    assert "Kemajuan keseluruhan" in (status.text or "")
    assert telegram.downloads_waiting == 1
    assert all(m.kind != "document" for m in budi.inbox[budi_before:])
    assert not any(
        "Layanan Aduan Warga Terpadu" in (m.text or "") for m in budi.inbox[budi_before:]
    )

    telegram.release_downloads()
    await bot.settle()
    answers = [
        m for m in budi.inbox[budi_before:] if m.kind == "document" or "Kemajuan" in (m.text or "")
    ]
    assert [m.kind for m in answers] == ["document", "text"]  # the portfolio, then /status
    assert "Layanan Aduan Warga Terpadu" in (answers[1].text or "")


async def test_a_fast_typist_gets_every_step_in_order(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    await add_milestones(engine, team["nurhayati"].nip, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    nurhayati = await join(bot, telegram, 1002, team["nurhayati"].code)
    chooser = await say(bot, budi, "/lapor")
    await press(bot, budi, chooser, next(b for b in chooser.button_texts if b.startswith("Rapat")))

    # Without waiting for any answer: the text, one photo, then an album of two, while another
    # participant's updates arrive in between.
    budi.send("Rapat perdana tim efektif.")
    nurhayati.send("/status")
    budi.send_photo(TINY_JPEG)
    nurhayati.send("/bantuan")
    budi.send_album([("photo", TINY_JPEG, None), ("photo", TINY_JPEG, None)])
    budi.send("/bantuan")  # help is answered even in the middle of a report, after the album
    await bot.settle()

    transcript = budi.transcript()
    assert text("report.text_expected") not in transcript
    prompts = [m for m in budi.inbox if "Sudah diterima" in (m.text or "")]
    # One evidence prompt after the text (0 files), one after the photo, and one for the album,
    # at its first item (the second is stored without a prompt of its own).
    assert [p.text and p.text.split("Sudah diterima: ")[1][:1] for p in prompts] == ["0", "1", "2"]
    assert budi.last is not None and "/lapor" in (budi.last.text or "")  # the help, last

    # Each pressed prompt turns into the next question in place.
    for button in ("Selesai", "60%", "Kirim"):
        prompt = telegram.message(budi.chat_id, prompts[-1].message_id)
        await press(bot, budi, prompt, button)
    assert await evidence_count(engine) == 3


def connections_in_use(engine: AsyncEngine) -> int:
    """Connections checked out of the engine's pool right now (both databases use a QueuePool)."""
    pool = engine.pool
    assert isinstance(pool, QueuePool)
    return pool.checkedout()


async def portfolio_audits(engine: AsyncEngine) -> int:
    async with session_factory(engine)() as session:
        query = select(func.count()).where(AuditEntry.action == "export.portfolio")
        return int(await session.scalar(query) or 0)


async def test_a_portfolio_waiting_for_its_photos_holds_no_database_connection(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    bambang = await join(bot, telegram, 1005, team["bambang"].code)
    await report(bot, budi, "Rapat", "Rapat perdana tim efektif.", "60%", photos=1)
    listing = await say(bot, bambang, "/peserta")
    await press(bot, bambang, listing, next(b for b in listing.button_texts if "Budi" in b))
    timeline = bambang.last
    assert timeline is not None

    # The mentor's portfolio hangs on its photo download (a slow Telegram file server)...
    telegram.hold_downloads()
    bambang.press(timeline, text("portfolio.button"))
    await telegram.wait_for(lambda: telegram.downloads_waiting == 1)
    # ...with its transaction over: no connection taken from the small pool meanwhile, and the
    # audit of the copy already committed (checked after, as the query takes a connection).
    assert connections_in_use(engine) == 0
    assert await portfolio_audits(engine) == 1
    assert all(m.kind != "document" for m in bambang.inbox)

    telegram.release_downloads()
    await bot.settle()
    assert bambang.last is not None and bambang.last.kind == "document"
    assert await portfolio_audits(engine) == 1


async def test_the_recap_chart_and_the_workbook_are_drawn_with_no_connection_held(
    bot: RunningBot,
    telegram: FakeTelegram,
    engine: AsyncEngine,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    await report(bot, budi, "Rapat", "Rapat perdana tim efektif.", "60%")
    held: dict[str, int] = {}

    def watched(name: str, render: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            held[name] = connections_in_use(engine)
            return render(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(recap_handler, "recap_charts", watched("chart", recap_handler.recap_charts))
    monkeypatch.setattr(export_handler, "render_xlsx", watched("xlsx", export_handler.render_xlsx))
    admin = telegram.user(ADMIN_ID, "Yulia")

    await say(bot, admin, "/rekap")
    await say(bot, admin, "/ekspor")

    assert held == {"chart": 0, "xlsx": 0}
    assert [m.kind for m in admin.inbox[-3:]] == ["photo", "text", "document"]
