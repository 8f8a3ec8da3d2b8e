"""/angkatan on the form engine, as an organizer lives it: a stage added and then moved, each
read-back left in the chat without its buttons; a change called off with /batal, after which
its buttons are stale; and a stage whose steps arrive at two bot instances in turn, since the
form lives in the database and not in either process."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from bot.settings import Settings
from domain.clock import ManualClock
from fakegram import FakeTelegram
from models import CohortStage, FormState
from models.db import session_factory
from tests.conftest import ADMIN_ID
from tests.factories import COHORT, import_roster
from tests.integration.helpers import press, press_data, say, text
from tests.integration.stories import instance

ADD = text("cohort.button.add")


async def stages(engine: AsyncEngine) -> list[tuple[str, date, date]]:
    async with session_factory(engine)() as session:
        rows = await session.scalars(select(CohortStage).order_by(CohortStage.id))
        return [(s.name, s.starts_on, s.ends_on) for s in rows]


async def open_steps(engine: AsyncEngine) -> list[tuple[str, str]]:
    async with session_factory(engine)() as session:
        return [(f.form, f.step) for f in await session.scalars(select(FormState))]


async def test_a_stage_is_added_then_moved_and_each_read_back_keeps_its_words(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    await import_roster(engine, now)
    admin = telegram.user(ADMIN_ID, "Yulia")

    listing = await say(bot, admin, "/angkatan")
    await press(bot, admin, listing, COHORT)
    await press(bot, admin, admin.last, ADD)
    assert admin.last.plain == text("stage.ask.name", cohort=COHORT, limit=60)
    assert await open_steps(engine) == [("cohort_stage", "name")]
    asked = await say(bot, admin, "Belajar mandiri")
    assert asked.plain == text("stage.ask.dates", name="Belajar mandiri")
    assert await open_steps(engine) == [("cohort_stage", "dates")]

    readback = await say(bot, admin, "2 Nov 2026 - 22 Nov 2026")
    words = readback.plain
    assert readback.button_texts == ["Simpan", "Ubah", "Batal"]
    # Words where a button is awaited are told to use the buttons, and change nothing.
    assert (await say(bot, admin, "simpan saja")).plain == text("stage.use_buttons")
    assert await open_steps(engine) == [("cohort_stage", "confirm")]
    save = readback.button("Simpan").callback_data
    await press(bot, admin, readback, "Simpan")
    # The read-back stays as it read, without its buttons; the saved stage and the cohort follow.
    assert readback.plain == words and readback.button_texts == []
    assert admin.inbox[-2].plain.startswith("Tersimpan: tahap Belajar mandiri")
    assert admin.last.button_texts == ["Ubah Belajar mandiri", ADD]
    assert await stages(engine) == [("Belajar mandiri", date(2026, 11, 2), date(2026, 11, 22))]
    assert await open_steps(engine) == []

    # Pressed again once saved (a double tap), the button is stale and saves nothing twice.
    answer = await press_data(bot, admin, readback, save)
    assert answer is not None and answer.text == text("button.stale")

    await press(bot, admin, admin.last, "Ubah Belajar mandiri")
    readback = await say(bot, admin, "1 Feb 2027 - 21 Feb 2027")
    await press(bot, admin, readback, "Ubah")
    assert readback.button_texts == []
    assert admin.last.plain == text("stage.ask.dates", name="Belajar mandiri")
    readback = await say(bot, admin, "1/2/2027 - 28/2/2027")
    await press(bot, admin, readback, "Simpan")
    assert await stages(engine) == [("Belajar mandiri", date(2027, 2, 1), date(2027, 2, 28))]
    assert await open_steps(engine) == []


async def test_a_stage_called_off_with_batal_saves_nothing_and_leaves_its_buttons_stale(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    await import_roster(engine, now)
    admin = telegram.user(ADMIN_ID, "Yulia")
    await say(bot, admin, "/angkatan")
    await press(bot, admin, admin.last, COHORT)
    detail = admin.last
    await press(bot, admin, detail, ADD)
    await say(bot, admin, "Orientasi")
    # Another command meanwhile is "busy"; /batal closes the form.
    assert (await say(bot, admin, "/jadwal")).plain == text("conversation.busy")
    assert (await say(bot, admin, "/batal")).plain == text("conversation.cancelled")
    assert await open_steps(engine) == []
    assert (await say(bot, admin, "/batal")).plain == text("conversation.nothing_to_cancel")

    # Called off at the read-back, its buttons are stale afterwards.
    await press(bot, admin, detail, ADD)
    await say(bot, admin, "Orientasi")
    readback = await say(bot, admin, "20/11/2026 - 24/11/2026")
    assert (await say(bot, admin, "/batal")).plain == text("conversation.cancelled")
    answer = await press(bot, admin, readback, "Simpan")
    assert answer is not None and answer.text == text("button.stale")
    assert await stages(engine) == []
    assert await open_steps(engine) == []


async def test_a_stage_whose_steps_alternate_between_two_instances_is_added_once(
    telegram: FakeTelegram, engine: AsyncEngine, now: datetime, settings: Settings
) -> None:
    clock = ManualClock(now)
    await import_roster(engine, now)
    admin = telegram.user(ADMIN_ID, "Yulia")
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(instance(telegram, settings, clock, engine))
        second = await stack.enter_async_context(instance(telegram, settings, clock, engine))

        # Each step goes to the other instance than the one before.
        steps = [
            ("say", "/angkatan"),
            ("press", COHORT),
            ("press", ADD),
            ("say", "Belajar mandiri"),
            ("say", "2 Nov 2026 - 22 Nov 2026"),
            ("press", "Ubah"),
            ("say", "3 Nov 2026 - 23 Nov 2026"),
            ("press", "Simpan"),
        ]
        for number, (kind, what) in enumerate(steps):
            async with (first, second)[number % 2].turn():
                if kind == "say":
                    admin.send(what)
                else:
                    pressed = admin.press(admin.last, what)
            if kind == "press":
                assert pressed.answer is not None
                assert pressed.answer.text != text("button.stale"), (number, what)

    assert admin.inbox[-2].plain.startswith("Tersimpan: tahap Belajar mandiri")
    assert await stages(engine) == [("Belajar mandiri", date(2026, 11, 3), date(2026, 11, 23))]
    assert await open_steps(engine) == []
