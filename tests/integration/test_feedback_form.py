"""Feedback on the form engine, as a mentor lives it: "Beri umpan balik" asks for one text that
reaches the participant; "Minta revisi" called off with /batal changes nothing and leaves no
form behind; a reply to the relayed report while the form waits goes to the thread and the
form keeps waiting; and a button pressed at one bot instance is answered with words typed at
another, since the form lives in the database and not in either process."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from bot.settings import Settings
from domain.clock import ManualClock
from domain.enums import FeedbackKind, UpdateStatus
from fakegram import FakeTelegram
from models import FormState
from models.db import session_factory
from tests.integration.helpers import press, say, text
from tests.integration.stories import followup_cast as cast
from tests.integration.stories import instance, lapor, newest_report, notes

FEEDBACK = "💬 Beri umpan balik"
REVISION = "✏️ Minta revisi"


async def open_steps(engine: AsyncEngine) -> list[tuple[str, str]]:
    async with session_factory(engine)() as session:
        return [(f.form, f.step) for f in await session.scalars(select(FormState))]


async def test_feedback_by_button_reaches_the_participant_and_closes_the_form(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, bambang, _, _, _, _ = await cast(bot, telegram, engine, now)
    await lapor(bot, budi, "Sosialisasi aplikasi ke 12 OPD.")
    relay = bambang.last

    answer = await press(bot, bambang, relay, FEEDBACK)
    assert answer is not None and not answer.text  # answered once, without a word
    assert bambang.last.plain == text("feedback.ask_text")
    assert await open_steps(engine) == [("feedback", "write")]

    confirmation = await say(bot, bambang, "Bagus, lanjutkan ke kelurahan lain.")
    assert confirmation.plain == text("note.sent", relation="Peserta", name="Budi Santoso")
    assert "Bagus, lanjutkan ke kelurahan lain." in budi.last.plain
    assert [n.text for n in await notes(engine, FeedbackKind.FEEDBACK)] == [
        "Bagus, lanjutkan ke kelurahan lain."
    ]
    assert await open_steps(engine) == []
    # Words after it are no longer feedback: nothing is forwarded, and he is told so.
    assert (await say(bot, bambang, "Satu lagi.")).plain == text("feedback.not_forwarded")
    assert len(await notes(engine, FeedbackKind.FEEDBACK)) == 1


async def test_a_revision_called_off_with_batal_changes_nothing(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, bambang, _, _, _, _ = await cast(bot, telegram, engine, now)
    await lapor(bot, budi, "Laporan pertama.")
    told = len(budi.inbox)

    await press(bot, bambang, bambang.last, REVISION)
    assert bambang.last.plain == text("feedback.ask_revision")
    assert await open_steps(engine) == [("feedback", "write")]
    assert (await say(bot, bambang, "/batal")).plain == text("conversation.cancelled")
    assert await open_steps(engine) == []
    assert (await say(bot, bambang, "/batal")).plain == text("conversation.nothing_to_cancel")

    assert await notes(engine, FeedbackKind.REVISION_REQUEST) == []
    assert (await newest_report(engine)).status is UpdateStatus.SUBMITTED
    assert len(budi.inbox) == told


async def test_a_reply_while_the_form_waits_goes_to_the_thread_and_the_form_keeps_waiting(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    budi, bambang, _, _, _, _ = await cast(bot, telegram, engine, now)
    await lapor(bot, budi, "Laporan pertama.")
    relay = bambang.last

    await press(bot, bambang, relay, REVISION)
    bambang.send("Sudah saya baca, terima kasih.", reply_to=relay)
    await bot.settle()
    assert [n.text for n in await notes(engine, FeedbackKind.FEEDBACK)] == [
        "Sudah saya baca, terima kasih."
    ]
    assert await open_steps(engine) == [("feedback", "write")]

    await say(bot, bambang, "Mohon lampirkan foto kegiatan.")
    assert [n.text for n in await notes(engine, FeedbackKind.REVISION_REQUEST)] == [
        "Mohon lampirkan foto kegiatan."
    ]
    assert (await newest_report(engine)).status is UpdateStatus.REVISION_REQUESTED
    assert await open_steps(engine) == []


async def test_feedback_pressed_at_one_instance_and_typed_at_another_is_recorded_once(
    telegram: FakeTelegram, engine: AsyncEngine, clock: ManualClock, settings: Settings
) -> None:
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(instance(telegram, settings, clock, engine))
        second = await stack.enter_async_context(instance(telegram, settings, clock, engine))
        async with first.turn() as running:
            budi, bambang, _, _, _, _ = await cast(running, telegram, engine, clock.now())
            await lapor(running, budi, "Laporan pertama.")
        relay = bambang.last
        async with second.turn():
            pressed = bambang.press(relay, FEEDBACK)
        assert pressed.answer is not None and pressed.answer.text != text("button.stale")
        assert await open_steps(engine) == [("feedback", "write")]
        async with first.turn():
            bambang.send("Lanjutkan, bagus.")

    assert [n.text for n in await notes(engine, FeedbackKind.FEEDBACK)] == ["Lanjutkan, bagus."]
    assert "Lanjutkan, bagus." in budi.last.plain
    assert await open_steps(engine) == []
