"""Updates run concurrently across users and in order for each: a slow download holds up
nobody else, and a participant who types fast still gets every answer in turn."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from bot.processor import PerUserUpdateProcessor
from documents import recap_chart, xlsx_export
from fakegram import TINY_JPEG, FakeTelegram
from models import Evidence
from models.db import session_factory
from tests.conftest import ADMIN_ID
from tests.factories import add_milestones, import_roster
from tests.integration.helpers import press, say, text
from tests.integration.stories import connections_in_use, join, report


async def evidence_count(engine: AsyncEngine) -> int:
    async with session_factory(engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(Evidence)) or 0)


async def start_report_up_to_the_evidence(bot: RunningBot, user: Any) -> None:
    """/lapor, the milestone and the text: the next thing the participant sends is evidence."""
    chooser = await say(bot, user, "/lapor")
    await press(bot, user, chooser, next(b for b in chooser.button_texts if b.startswith("Rapat")))
    await say(bot, user, "Rapat perdana tim efektif.")


def evidence_prompts(messages: list[Any]) -> list[Any]:
    return [m for m in messages if "Sudah diterima" in (m.text or "")]


async def test_another_user_is_answered_while_a_photo_is_being_stored(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    assert isinstance(bot.app.update_processor, PerUserUpdateProcessor)
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    await add_milestones(engine, team["nurhayati"].nip, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    nurhayati = await join(bot, telegram, 1002, team["nurhayati"].code)
    await start_report_up_to_the_evidence(bot, budi)

    # Budi's photo is fetched into the evidence store as it arrives; the download hangs (a slow
    # Telegram file server).
    telegram.hold_downloads()
    budi_before = len(budi.inbox)
    budi.send_photo(TINY_JPEG)
    await telegram.wait_for(lambda: telegram.downloads_waiting == 1)
    # Budi's own next command waits behind his photo, in order.
    budi.send("/bantuan")

    # Nurhayati is answered meanwhile; Budi is not, yet.
    nurhayati.send("/status")
    status = await telegram.wait_for(
        lambda: next((m for m in nurhayati.inbox if "Posyandu Digital" in (m.text or "")), None)
    )
    assert "Kemajuan keseluruhan" in (status.text or "")
    assert telegram.downloads_waiting == 1
    assert not evidence_prompts(budi.inbox[budi_before:])
    assert not any("/lapor" in (m.text or "") for m in budi.inbox[budi_before:])

    telegram.release_downloads()
    await bot.settle()
    answers = [
        m
        for m in budi.inbox[budi_before:]
        if "Sudah diterima" in (m.text or "") or "/lapor" in (m.text or "")
    ]
    assert "Sudah diterima: 1" in (answers[0].text or "")  # the photo's receipt, then the help
    assert "/lapor" in (answers[-1].text or "") and len(answers) == 2


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
    # After the text comes the question for kendala, which the photo answers by moving on to
    # the evidence: one evidence prompt after the photo, and one for the album, at its first
    # item (the second is stored without a prompt of its own).
    assert [p.text and p.text.split("Sudah diterima: ")[1][:1] for p in prompts] == ["1", "2"]
    assert budi.last is not None and "/lapor" in (budi.last.text or "")  # the help, last

    # Each pressed prompt turns into the next question in place.
    for button in ("Selesai", "60%", "Kirim"):
        prompt = telegram.message(budi.chat_id, prompts[-1].message_id)
        await press(bot, budi, prompt, button)
    assert await evidence_count(engine) == 3


async def test_a_photo_being_stored_holds_no_database_connection(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    await start_report_up_to_the_evidence(bot, budi)

    # The download into the evidence store hangs (a slow Telegram file server)...
    telegram.hold_downloads()
    budi.send_photo(TINY_JPEG)
    await telegram.wait_for(lambda: telegram.downloads_waiting == 1)
    # ...with the update's transaction over: no connection taken from the small pool meanwhile.
    assert connections_in_use(engine) == 0

    telegram.release_downloads()
    await bot.settle()
    prompt = evidence_prompts(budi.inbox)[-1]
    for button in ("Selesai", "60%", "Kirim"):
        await press(bot, budi, telegram.message(budi.chat_id, prompt.message_id), button)
    async with session_factory(engine)() as session:
        stored = list(await session.scalars(select(Evidence)))
    assert len(stored) == 1 and stored[0].sha256 is not None


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

    monkeypatch.setattr(recap_chart, "recap_charts", watched("chart", recap_chart.recap_charts))
    monkeypatch.setattr(xlsx_export, "render_xlsx", watched("xlsx", xlsx_export.render_xlsx))
    admin = telegram.user(ADMIN_ID, "Yulia")

    await say(bot, admin, "/rekap")
    await say(bot, admin, "/ekspor")

    assert held == {"chart": 0, "xlsx": 0}
    assert [m.kind for m in admin.inbox[-3:]] == ["photo", "text", "document"]
