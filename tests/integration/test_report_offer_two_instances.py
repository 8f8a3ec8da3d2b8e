"""The offer to save a stray message as a report lives in the database like every form: made
by one instance, it is answered on another (a worker that took over after a kill)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings
from domain.clock import ManualClock
from fakegram import FakeTelegram
from models import Evidence, FormState, ProgressUpdate
from models.db import session_factory
from tests.factories import add_milestones, import_roster
from tests.integration.helpers import text
from tests.integration.stories import finish_report, instance, join, photo_bytes, sha

NOT_NOW = "Tidak, terima kasih"


async def test_a_photo_offered_on_one_instance_is_saved_as_a_report_on_another(
    telegram: FakeTelegram, engine: AsyncEngine, now: datetime, settings: Settings
) -> None:
    clock = ManualClock(now)
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    photo = photo_bytes()
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(instance(telegram, settings, clock, engine))
        second = await stack.enter_async_context(instance(telegram, settings, clock, engine))
        async with first.turn() as bot:
            budi = await join(bot, telegram, 1001, team["budi"].code)
            await join(bot, telegram, 1005, team["bambang"].code)
            budi.send_photo(photo, caption="Peluncuran aplikasi aduan")
        offer = budi.last
        assert offer.plain == text("report.offer_save")
        async with session_factory(engine)() as session:
            assert list(await session.scalars(select(FormState.form))) == ["report_offer"]

        async with second.turn() as bot:
            pressed = budi.press(offer, offer.button_texts[0])
        assert pressed.answer is not None and pressed.answer.text != text("button.stale")
        # The caption was kept as the text: kendala comes next, the offer turned into it.
        assert budi.last.message_id == offer.message_id
        assert "Apakah ada kendala" in offer.plain
        async with second.turn() as bot:
            await finish_report(bot, budi)

    async with session_factory(engine)() as session:
        report = await session.scalar(select(ProgressUpdate))
        assert report is not None and report.text == "Peluncuran aplikasi aduan"
        assert [e.sha256 for e in await session.scalars(select(Evidence))] == [sha(photo)]


async def test_an_offer_answered_on_another_instance_and_its_older_buttons_stale(
    telegram: FakeTelegram, engine: AsyncEngine, now: datetime, settings: Settings
) -> None:
    clock = ManualClock(now)
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(instance(telegram, settings, clock, engine))
        second = await stack.enter_async_context(instance(telegram, settings, clock, engine))
        async with first.turn() as bot:
            budi = await join(bot, telegram, 1001, team["budi"].code)
            budi.send("Rapat koordinasi dengan Bappeda.")
        older = budi.last
        async with second.turn() as bot:
            budi.send("Rapat koordinasi dengan Bappeda, ralat: Dinas Kominfo.")
        newer = budi.last
        assert older.plain == newer.plain == text("report.offer_save")

        # The newer offer replaced the older one: the older buttons are stale anywhere.
        async with first.turn() as bot:
            stale = budi.press(older, older.button_texts[0])
        assert stale.answer is not None and stale.answer.text == text("button.stale")

        choice = newer.button(newer.button_texts[0]).callback_data
        assert choice is not None
        async with first.turn() as bot:
            declined = budi.press(newer, NOT_NOW)
        assert declined.answer is not None and declined.answer.text != text("button.stale")
        assert newer.plain == text("report.offer_declined") and not newer.button_texts

        # Answered: its buttons are stale on the other instance as well.
        async with second.turn() as bot:
            again = budi.press_data(newer, choice)
        assert again.answer is not None and again.answer.text == text("button.stale")

    async with session_factory(engine)() as session:
        assert list(await session.scalars(select(FormState))) == []
        assert await session.scalar(select(ProgressUpdate)) is None
