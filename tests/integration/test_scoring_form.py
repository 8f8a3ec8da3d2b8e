"""/penguji on the form engine, as an examiner lives it: the score or comment awaited is a step
kept in the database, another of the sheet's buttons starts afresh, /batal closes it (a
number typed afterwards scores nothing), and a sheet whose steps arrive at two bot instances
in turn is scored as typed."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from bot.settings import Settings
from domain.clock import ManualClock
from fakegram import FakeTelegram
from models import CriterionScore, FormState, ScoreSheet
from models.db import session_factory
from tests.factories import import_roster
from tests.integration.helpers import press, say, text
from tests.integration.stories import instance, join, person_ids, plan


async def open_steps(engine: AsyncEngine) -> list[tuple[str, str]]:
    async with session_factory(engine)() as session:
        return [(f.form, f.step) for f in await session.scalars(select(FormState))]


async def sheet_scores(engine: AsyncEngine) -> tuple[list[int | None], str | None]:
    """The one sheet's scores by criterion, and its comment."""
    async with session_factory(engine)() as session:
        (sheet,) = await session.scalars(select(ScoreSheet))
        scores = await session.scalars(
            select(CriterionScore.score)
            .where(CriterionScore.sheet_id == sheet.id)
            .order_by(CriterionScore.position)
        )
        return list(scores), sheet.comment


def criterion(sheet: Any, number: int) -> str:
    return next(b for b in sheet.button_texts if b.startswith(f"✏️ {number}."))


async def test_a_score_awaited_is_a_step_and_another_button_starts_afresh(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    seminar_id = await plan(engine, await person_ids(engine, team), now)
    teguh = await join(bot, telegram, 1003, team["teguh"].code)

    listing = await say(bot, teguh, "/penguji")
    assert await open_steps(engine) == []  # looking opens nothing
    await press(bot, teguh, listing, f"👤 Budi Santoso (#{seminar_id})")
    sheet = teguh.last
    await press(bot, teguh, sheet, criterion(sheet, 1))
    assert await open_steps(engine) == [("scoring", "score")]
    assert (await say(bot, teguh, "101")).plain == text("scores.error.range", min=0, max=100)
    assert await open_steps(engine) == [("scoring", "score")]  # asked again
    sheet = await say(bot, teguh, "80")
    assert "(bobot 30%): 80" in sheet.plain
    assert await open_steps(engine) == []

    # The comment is awaited; a criterion's button instead starts afresh with its score.
    await press(bot, teguh, sheet, "💬 Catatan penguji")
    assert await open_steps(engine) == [("scoring", "comment")]
    await press(bot, teguh, sheet, criterion(sheet, 2))
    assert await open_steps(engine) == [("scoring", "score")]
    sheet = await say(bot, teguh, "90")
    assert await sheet_scores(engine) == ([80, 90, None, None, None], None)
    # The list again closes nothing but what was awaited: nothing is.
    await press(bot, teguh, sheet, "💬 Catatan penguji")
    await press(bot, teguh, sheet, next(b for b in sheet.button_texts if "Daftar" in b))
    assert await open_steps(engine) == []
    assert "✏️ Budi Santoso: draf (belum dikirim)" in teguh.last.plain


async def test_a_score_called_off_with_batal_is_not_taken_afterwards(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    seminar_id = await plan(engine, await person_ids(engine, team), now)
    teguh = await join(bot, telegram, 1003, team["teguh"].code)
    listing = await say(bot, teguh, "/penguji")
    await press(bot, teguh, listing, f"👤 Nurhayati Umasugi (#{seminar_id})")
    sheet = teguh.last
    await press(bot, teguh, sheet, criterion(sheet, 3))
    assert (await say(bot, teguh, "/jadwal")).plain == text("conversation.busy")
    assert (await say(bot, teguh, "/batal")).plain == text("conversation.cancelled")
    assert await open_steps(engine) == []
    await say(bot, teguh, "70")
    async with session_factory(engine)() as session:
        assert list(await session.scalars(select(ScoreSheet))) == []


async def test_a_sheet_whose_steps_alternate_between_two_instances_is_scored_as_typed(
    telegram: FakeTelegram, engine: AsyncEngine, now: datetime, settings: Settings
) -> None:
    clock = ManualClock(now)
    team = await import_roster(engine, now)
    seminar_id = await plan(engine, await person_ids(engine, team), now)
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(instance(telegram, settings, clock, engine))
        second = await stack.enter_async_context(instance(telegram, settings, clock, engine))
        async with first.turn() as bot:
            teguh = await join(bot, telegram, 1003, team["teguh"].code)

        # Each step goes to the other instance than the one before.
        steps = [
            ("say", "/penguji"),
            ("press", f"👤 Budi Santoso (#{seminar_id})"),
            ("press", "✏️ 1."),
            ("say", "80"),
            ("press", "💬 Catatan penguji"),
            ("say", "Perluas replikasi ke kabupaten lain."),
            ("press", "✏️ 2."),
            ("say", "90"),
        ]
        for number, (kind, what) in enumerate(steps):
            async with (second, first)[number % 2].turn():
                if kind == "say":
                    teguh.send(what)
                else:
                    label = next(b for b in teguh.last.button_texts if b.startswith(what))
                    pressed = teguh.press(teguh.last, label)
            if kind == "press":
                assert pressed.answer is not None
                assert pressed.answer.text != text("button.stale"), (number, what)

    assert await sheet_scores(engine) == (
        [80, 90, None, None, None],
        "Perluas replikasi ke kabupaten lain.",
    )
    assert await open_steps(engine) == []
