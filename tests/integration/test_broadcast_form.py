"""/umumkan on the form engine, as an organizer lives it: an announcement written step by step
with the step kept in the database, the preview's Kirim pressed once (a double tap sends
nothing twice); one called off with /batal, after which its buttons are stale; and one whose
steps, a photo among them, arrive at two bot instances in turn."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from bot.settings import Settings
from domain.clock import ManualClock
from fakegram import TINY_JPEG, FakeTelegram
from handlers import broadcast as broadcast_handlers
from models import Broadcast, FormState
from models.db import session_factory
from tests.conftest import ADMIN_ID
from tests.factories import COHORT, import_roster
from tests.integration.helpers import press, press_data, say, text
from tests.integration.stories import (
    OTHER_COHORT,
    OTHER_ROSTER,
    instance,
    join,
    registered,  # noqa: F401 - fixtures
)

WORDS = "Rapat pleno Senin pukul 09.00 WIB."


async def open_steps(engine: AsyncEngine) -> list[tuple[str, str]]:
    async with session_factory(engine)() as session:
        return [(f.form, f.step) for f in await session.scalars(select(FormState))]


async def announcements(engine: AsyncEngine) -> list[Broadcast]:
    async with session_factory(engine)() as session:
        return list(await session.scalars(select(Broadcast).order_by(Broadcast.id)))


async def test_an_announcement_is_written_step_by_step_and_sent_once(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await import_roster(engine, now, roster=OTHER_ROSTER, cohort=OTHER_COHORT)
    await join(bot, telegram, 1001, team["budi"].code)
    admin = telegram.user(ADMIN_ID, "Rina", last_name="Panitia")

    chooser = await say(bot, admin, "/umumkan")
    assert await open_steps(engine) == [("broadcast", "cohort")]
    # Words where a button is awaited are told to use the buttons.
    assert (await say(bot, admin, "PKP")).plain == text("broadcast.use_buttons")
    await press(bot, admin, chooser, COHORT)
    assert chooser.plain == f"Angkatan: {COHORT}" and chooser.button_texts == []
    assert await open_steps(engine) == [("broadcast", "text")]
    ask_file = await say(bot, admin, WORDS)
    assert await open_steps(engine) == [("broadcast", "file")]
    assert (await say(bot, admin, "tanpa berkas")).plain == text("broadcast.file_expected")
    await press(bot, admin, ask_file, "Lewati")
    # The question stays as it read, without its button.
    assert ask_file.plain == text("broadcast.ask_file") and ask_file.button_texts == []
    picker = admin.last
    assert await open_steps(engine) == [("broadcast", "audience")]
    await press(bot, admin, picker, "✅ Mentor")
    assert "▫️ Mentor" in picker.button_texts and "▫️ Semua" in picker.button_texts
    await press(bot, admin, picker, "▫️ Semua")
    await press(bot, admin, picker, "Lanjut ➡️")
    assert picker.button_texts == []
    footer = admin.last
    assert admin.inbox[-2].plain == f"📢 Pengumuman — {COHORT}\n\n{WORDS}\n\nRina Panitia"
    assert await open_steps(engine) == [("broadcast", "confirm")]
    assert (await say(bot, admin, "kirim")).plain == text("broadcast.use_buttons")
    send = footer.button("📤 Kirim").callback_data

    await press(bot, admin, footer, "📤 Kirim")
    assert footer.button_texts == []
    (made,) = await announcements(engine)
    assert made.text == WORDS and made.attachment is None
    assert admin.inbox[-2].plain == text("broadcast.queued", id=made.id)
    assert made.status_message_ref == str(admin.last.message_id)
    assert "Menunggu: 1" in admin.last.plain  # Budi; the others wait for joining
    assert await open_steps(engine) == []
    job_queue = bot.app.job_queue
    assert job_queue is not None
    assert job_queue.get_jobs_by_name(broadcast_handlers.job_name(made.id))
    # Pressed again (a double tap), the button is stale and nothing goes out twice.
    answer = await press_data(bot, admin, footer, send)
    assert answer is not None and answer.text == text("button.stale")
    assert len(await announcements(engine)) == 1


async def test_an_announcement_called_off_with_batal_sends_nothing_and_its_buttons_go_stale(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    await import_roster(engine, now)
    admin = telegram.user(ADMIN_ID, "Rina")
    await say(bot, admin, "/umumkan")
    await say(bot, admin, WORDS)
    await press(bot, admin, admin.last, "Lewati")
    picker = admin.last
    # Another command meanwhile is "busy"; /batal closes the form.
    assert (await say(bot, admin, "/jadwal")).plain == text("conversation.busy")
    assert (await say(bot, admin, "/batal")).plain == text("broadcast.cancelled")
    assert await open_steps(engine) == []
    answer = await press(bot, admin, picker, "Lanjut ➡️")
    assert answer is not None and answer.text == text("button.stale")
    # Words now are no announcement either.
    await say(bot, admin, "Pengumuman susulan.")
    assert await announcements(engine) == []
    assert await open_steps(engine) == []


async def test_an_announcement_whose_steps_alternate_between_two_instances_is_sent_once(
    telegram: FakeTelegram, engine: AsyncEngine, now: datetime, settings: Settings
) -> None:
    clock = ManualClock(now)
    await import_roster(engine, now)
    admin = telegram.user(ADMIN_ID, "Rina")
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(instance(telegram, settings, clock, engine))
        second = await stack.enter_async_context(instance(telegram, settings, clock, engine))

        # Each step goes to the other instance than the one before.
        steps = [
            ("say", "/umumkan"),
            ("say", WORDS),
            ("photo", ""),
            ("press", "✅ Penyelenggara"),
            ("press", "Lanjut ➡️"),
            ("press", "✏️ Ubah penerima"),
            ("press", "✅ Coach"),
            ("press", "Lanjut ➡️"),
            ("press", "📤 Kirim"),
        ]
        for number, (kind, what) in enumerate(steps):
            async with (first, second)[number % 2].turn():
                if kind == "say":
                    admin.send(what)
                elif kind == "photo":
                    admin.send_photo(TINY_JPEG)
                else:
                    pressed = admin.press(admin.last, what)
            if kind == "press":
                assert pressed.answer is not None
                assert pressed.answer.text != text("button.stale"), (number, what)

    (made,) = await announcements(engine)
    assert made.attachment is not None
    assert made.attachment["kind"] == "photo" and made.attachment["channel"] == "telegram"
    assert made.audience["roles"] == ["participant", "mentor", "examiner"]
    assert admin.inbox[-2].plain == text("broadcast.queued", id=made.id)
    assert await open_steps(engine) == []
