"""/seminar on the form engine, as an organizer lives it: a seminar planned step by step, each
answered question turned into its answer and the read-back left without its buttons; a plan
and a move called off with /batal, after which their buttons are stale; and a seminar whose
steps arrive at two bot instances in turn, since the form lives in the database and not in
either process."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from bot.settings import Settings
from domain.clock import ManualClock
from domain.enums import SeminarStatus
from fakegram import FakeTelegram
from models import FormState, Seminar
from models.db import session_factory
from tests.conftest import ADMIN_ID
from tests.factories import COHORT, import_roster
from tests.integration.helpers import press, press_data, say, text
from tests.integration.stories import STARTS, instance, person_ids, plan

# The answers that plan one seminar, in order: what is typed and what is pressed.
PLAN = [
    ("say", "/seminar"),
    ("press", "Seminar rancangan"),
    ("say", "10/12/2026"),
    ("say", "9.00"),
    ("press", "WIB (zona Bapak/Ibu)"),
    ("say", "Aula BPSDM Lantai 2"),
    ("press", "▫️ Budi Santoso"),
    ("press", "✅ Selesai (1)"),
    ("press", "Prof. Teguh Santoso"),
    ("press", "Simpan"),
]


async def open_steps(engine: AsyncEngine) -> list[tuple[str, str]]:
    async with session_factory(engine)() as session:
        return [(f.form, f.step) for f in await session.scalars(select(FormState))]


async def seminars(engine: AsyncEngine) -> list[Seminar]:
    async with session_factory(engine)() as session:
        return list(await session.scalars(select(Seminar).order_by(Seminar.id)))


async def test_a_seminar_is_planned_step_by_step_and_each_answer_stays_in_the_chat(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    ids = await person_ids(engine, team)
    admin = telegram.user(ADMIN_ID, "Siti")

    kinds = await say(bot, admin, "/seminar")
    assert await open_steps(engine) == [("seminar", "kind")]
    # Words where a button is awaited are told to use the buttons.
    assert (await say(bot, admin, "rancangan")).plain == text("seminar.use_buttons")
    await press(bot, admin, kinds, "Seminar rancangan")
    assert kinds.plain == text("seminar.chosen", value="Seminar rancangan")
    assert kinds.button_texts == []
    await say(bot, admin, "10/12/2026")
    zones = await say(bot, admin, "9.00")
    await press(bot, admin, zones, "WIB (zona Bapak/Ibu)")
    choose = await say(bot, admin, "Aula BPSDM Lantai 2")
    assert await open_steps(engine) == [("seminar", "presenters")]
    # Names two to a row, then "Selesai" with the count; a press marks the name in place.
    assert [[b.text for b in row] for row in choose.buttons] == [
        ["▫️ Budi Santoso", "▫️ Nurhayati Umasugi"],
        ["✅ Selesai (0)"],
    ]
    await press(bot, admin, choose, "▫️ Budi Santoso")
    assert admin.last.message_id == choose.message_id
    assert choose.button_texts == ["☑️ Budi Santoso", "▫️ Nurhayati Umasugi", "✅ Selesai (1)"]
    await press(bot, admin, choose, "✅ Selesai (1)")
    assert choose.plain == text("seminar.chosen", value="Budi Santoso")
    await press(bot, admin, admin.last, "Prof. Teguh Santoso")

    summary = admin.last
    words = summary.plain
    assert summary.button_texts == ["Simpan", "Batal"]
    save = summary.button("Simpan").callback_data
    await press(bot, admin, summary, "Simpan")
    assert summary.plain == words and summary.button_texts == []
    assert admin.last.plain == text("seminar.saved", id=1, recipients=4, reminders=12)
    saved = await seminars(engine)
    assert [(s.starts_at, s.place, s.examiner_id) for s in saved] == [
        (STARTS, "Aula BPSDM Lantai 2", ids["teguh"])
    ]
    assert await open_steps(engine) == []

    # Pressed again (a double tap), the button is stale and plans nothing twice.
    answer = await press_data(bot, admin, summary, save)
    assert answer is not None and answer.text == text("button.stale")
    assert len(await seminars(engine)) == 1


async def test_a_plan_and_a_move_called_off_with_batal_change_nothing(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    ids = await person_ids(engine, team)
    seminar_id = await plan(engine, ids, now)
    admin = telegram.user(ADMIN_ID, "Siti")

    kinds = await say(bot, admin, "/seminar")
    listing = admin.inbox[-2]
    await press(bot, admin, kinds, "Seminar evaluasi")
    await say(bot, admin, "11/12/2026")
    zones = await say(bot, admin, "13.00")
    assert (await say(bot, admin, "/batal")).plain == text("conversation.cancelled")
    assert await open_steps(engine) == []
    # Its buttons are stale now; words are no longer its answers.
    answer = await press(bot, admin, zones, "WIB (zona Bapak/Ibu)")
    assert answer is not None and answer.text == text("button.stale")
    assert (await say(bot, admin, "/batal")).plain == text("conversation.nothing_to_cancel")

    # A move, called off at its read-back.
    await press(bot, admin, listing, f"🕒 Ubah jadwal #{seminar_id}")
    assert await open_steps(engine) == [("seminar", "new_date")]
    await say(bot, admin, "11 Des")
    confirm = await say(bot, admin, "13.00")
    assert confirm.button_texts == ["Simpan", "Batal"]
    assert (await say(bot, admin, "/batal")).plain == text("conversation.cancelled")
    answer = await press(bot, admin, confirm, "Simpan")
    assert answer is not None and answer.text == text("button.stale")

    assert [(s.id, s.starts_at, s.status) for s in await seminars(engine)] == [
        (seminar_id, STARTS, SeminarStatus.SCHEDULED)
    ]
    assert await open_steps(engine) == []


async def test_a_seminar_whose_steps_alternate_between_two_instances_is_planned_once(
    telegram: FakeTelegram, engine: AsyncEngine, now: datetime, settings: Settings
) -> None:
    clock = ManualClock(now)
    await import_roster(engine, now)
    admin = telegram.user(ADMIN_ID, "Siti")
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(instance(telegram, settings, clock, engine))
        second = await stack.enter_async_context(instance(telegram, settings, clock, engine))
        # Each step goes to the other instance than the one before.
        for number, (kind, what) in enumerate(PLAN):
            async with (first, second)[number % 2].turn():
                if kind == "say":
                    admin.send(what)
                else:
                    pressed = admin.press(admin.last, what)
            if kind == "press":
                assert pressed.answer is not None
                assert pressed.answer.text != text("button.stale"), (number, what)

    assert admin.last.plain == text("seminar.saved", id=1, recipients=4, reminders=12)
    async with session_factory(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(Seminar)) == 1
        seminar = await session.get_one(Seminar, 1)
        assert seminar.starts_at == STARTS and seminar.place == "Aula BPSDM Lantai 2"
    assert await open_steps(engine) == []
    assert COHORT in admin.inbox[-2].plain  # the read-back names the cohort
