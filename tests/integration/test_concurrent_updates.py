"""Updates run concurrently across users and in order for each: a slow portfolio holds up
nobody else, and a participant who types fast still gets every answer in turn."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from bot.processor import PerUserUpdateProcessor
from fakegram import TINY_JPEG, FakeTelegram
from models import Evidence
from models.db import session_factory
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
