"""/bahan and "Hadir" / "Berhalangan" on the form engine, as presenters and advisors live them:
the kind question keeps its words without its buttons once answered and the file closes the
form; a /bahan called off with /batal keeps nothing; a "Berhalangan" reason waits in the
database, ends when "Hadir" is pressed instead, and takes no photo for a reason; and steps that
arrive at two bot instances in turn are taken once, since the forms live in neither process."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from bot.settings import Settings
from domain.clock import ManualClock
from domain.materials import AttendanceAnswer, MaterialKind
from fakegram import FakeTelegram
from models import FormState, SeminarAttendance
from models.db import session_factory
from tests.integration.helpers import press, press_data, say, text
from tests.integration.stories import PDF, instance, materials
from tests.integration.stories import seminar_cast as cast


async def open_steps(engine: AsyncEngine) -> list[tuple[str, str]]:
    async with session_factory(engine)() as session:
        return [(f.form, f.step) for f in await session.scalars(select(FormState))]


async def answers(engine: AsyncEngine) -> dict[int, tuple[AttendanceAnswer, str | None]]:
    async with session_factory(engine)() as session:
        return {
            a.person_id: (a.answer, a.reason)
            for a in await session.scalars(select(SeminarAttendance))
        }


def notice(user: Any) -> Any:
    return next(m for m in user.inbox if m.plain.startswith("📅 Undangan"))


async def test_a_material_is_sent_step_by_step_and_a_batal_keeps_nothing(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    people, _, _ = await cast(bot, telegram, engine, now)
    budi = people["budi"]

    asked = await say(bot, budi, "/bahan")
    assert await open_steps(engine) == [("materials", "kind")]
    question = asked.plain
    assert (await say(bot, budi, "laporan")).plain == text("seminar.use_buttons")
    report = asked.button("Laporan").callback_data
    await press(bot, budi, asked, "Laporan")
    # The question stays as it read, without its buttons; the file is asked below it.
    assert asked.plain == question and asked.button_texts == []
    assert await open_steps(engine) == [("materials", "file")]
    answer = await press_data(bot, budi, asked, report)  # a double tap: stale
    assert answer is not None and answer.text == text("button.stale")
    budi.send_document(b"%PDF-1.4 laporan", "laporan.pdf", PDF)
    await bot.settle()
    assert budi.last.plain.startswith("✅ Laporan versi 1")
    assert await open_steps(engine) == []

    # Another one called off while the file is awaited: nothing is kept.
    asked = await say(bot, budi, "/bahan")
    await press(bot, budi, asked, "Bahan tayang")
    assert (await say(bot, budi, "/batal")).plain == text("conversation.cancelled")
    assert await open_steps(engine) == []
    budi.send_document(b"%PDF-1.4 paparan", "paparan.pdf", PDF)
    await bot.settle()
    assert [m.kind for m in await materials(engine)] == [MaterialKind.REPORT]


async def test_a_reason_waits_until_hadir_is_pressed_instead_and_takes_no_photo(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    people, ids, _ = await cast(bot, telegram, engine, now)
    bambang = people["bambang"]

    answer = await press(bot, bambang, notice(bambang), "🚫 Berhalangan")
    assert answer is not None and not answer.text  # answered once, without a word
    assert bambang.last.plain.startswith("Tercatat: Bapak/Ibu berhalangan hadir")
    assert await open_steps(engine) == [("attendance", "reason")]
    bambang.send_photo()
    await bot.settle()
    assert bambang.last.plain == text("attendance.ask.reason_text")
    assert await open_steps(engine) == [("attendance", "reason")]

    toast = await press(bot, bambang, notice(bambang), "✅ Hadir")
    assert toast.text == text("attendance.saved.present", kind="seminar rancangan")
    assert await open_steps(engine) == []
    await say(bot, bambang, "Rapat dinas")  # no reason any more: not taken as one
    assert (await answers(engine))[ids["bambang"]] == (AttendanceAnswer.PRESENT, None)


async def test_steps_alternating_between_two_instances_are_taken_once(
    telegram: FakeTelegram, engine: AsyncEngine, clock: ManualClock, settings: Settings
) -> None:
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(instance(telegram, settings, clock, engine))
        second = await stack.enter_async_context(instance(telegram, settings, clock, engine))
        async with first.turn() as running:
            people, ids, _ = await cast(running, telegram, engine, clock.now())
        budi, lina = people["budi"], people["lina"]

        async with second.turn():
            budi.send("/bahan")
        async with first.turn():
            pressed = budi.press(budi.last, "Bahan tayang")
        assert pressed.answer is not None and pressed.answer.text != text("button.stale")
        async with second.turn():
            budi.send_document(b"%PDF-1.4 paparan", "paparan.pdf", PDF)

        async with first.turn():
            lina.press(notice(lina), "🚫 Berhalangan")
        async with second.turn():
            lina.send("Mendampingi visitasi akreditasi")

    assert budi.last.plain.startswith("✅ Bahan tayang versi 1")
    assert [m.kind for m in await materials(engine)] == [MaterialKind.SLIDES]
    assert (await answers(engine))[ids["lina"]] == (
        AttendanceAnswer.ABSENT,
        "Mendampingi visitasi akreditasi",
    )
    assert await open_steps(engine) == []
