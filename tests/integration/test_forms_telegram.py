"""/lapor on the form engine, as a participant on Telegram lives it: old prompts' buttons are
stale once the report has moved on, a double tap sends once, each press is answered once, and a
report left for 12 hours is closed."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from domain.clock import ManualClock
from fakegram import TINY_JPEG, FakeTelegram
from models import FormState, ProgressUpdate
from models.db import session_factory
from services.forms import FORM_LIFETIME
from tests.factories import add_milestones, import_roster
from tests.integration.helpers import press, say, text
from tests.integration.stories import join


async def _setup(bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime):  # type: ignore[no-untyped-def]
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    budi = await join(bot, telegram, 1001, team["budi"].code)
    bambang = await join(bot, telegram, 1005, team["bambang"].code)
    return budi, bambang


async def _up_to_the_evidence(bot: RunningBot, budi: object) -> None:
    chooser = await say(bot, budi, "/lapor")
    await press(bot, budi, chooser, chooser.button_texts[0])  # type: ignore[attr-defined]
    await say(bot, budi, "Rapat perdana tim efektif.")
    await press(bot, budi, budi.last, "Lewati")  # type: ignore[attr-defined]
    await press(bot, budi, budi.last, "Lewati")  # type: ignore[attr-defined]


async def _reports(engine: AsyncEngine) -> int:
    async with session_factory(engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(ProgressUpdate)) or 0)


async def test_a_prompt_of_an_earlier_step_is_stale_and_a_double_tap_sends_once(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, bambang = await _setup(bot, telegram, engine, now)
    await _up_to_the_evidence(bot, budi)
    budi.send_photo(TINY_JPEG)
    await bot.settle()
    first_prompt = budi.last
    budi.send_photo(TINY_JPEG)
    await bot.settle()
    # Both evidence prompts answer the step they belong to, while it lasts.
    await press(bot, budi, budi.last, "Selesai")
    answer = await press(bot, budi, first_prompt, "Selesai")
    assert answer is not None and answer.text == text("button.stale")

    await press(bot, budi, budi.last, "50%")
    summary = budi.last
    first = budi.press(summary, "Kirim")
    again = budi.press(summary, "Kirim")  # a double tap: the second press arrives as well
    await bot.settle()

    # Each press answered exactly once: the first silently, the second as stale.
    assert first.answer is not None and first.answer.text in (None, "")
    assert again.answer is not None and again.answer.text == text("button.stale")
    assert await _reports(engine) == 1
    relays = [m for m in bambang.inbox if "Rapat perdana tim efektif." in (m.plain or "")]
    assert len(relays) == 1
    assert summary.plain.startswith("✅ Laporan tersimpan")


async def test_a_report_left_for_twelve_hours_is_closed(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, clock: ManualClock
) -> None:
    budi, _ = await _setup(bot, telegram, engine, clock.now())
    await _up_to_the_evidence(bot, budi)
    prompt = budi.last
    async with session_factory(engine)() as session:
        assert list(await session.scalars(select(FormState.step))) == ["evidence"]

    clock.advance(FORM_LIFETIME + timedelta(minutes=1))

    # The form is gone: its buttons are stale, words are offered as a new report, and
    # /profil is no longer "busy".
    answer = await press(bot, budi, prompt, "Lewati")
    assert answer is not None and answer.text == text("button.stale")
    assert (await say(bot, budi, "Catatan baru.")).plain == text("report.offer_save")
    assert (await say(bot, budi, "/profil")).plain != text("conversation.busy")
    assert await _reports(engine) == 0
