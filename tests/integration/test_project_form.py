"""/proyek on the form engine, as a participant lives it: a milestone added step by step, with
each answered question left in the chat without its buttons; a change called off with /batal;
and a milestone whose steps arrive at two bot instances in turn, since the form lives in the
database and not in either process."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from bot.settings import Settings
from domain.clock import ManualClock
from domain.enums import Horizon
from fakegram import FakeTelegram
from models import FormState, Milestone
from models.db import session_factory
from tests.factories import add_milestones, import_roster
from tests.integration.helpers import press, say, text
from tests.integration.stories import instance, join

ADD = text("project.button.add")


async def milestones(engine: AsyncEngine) -> list[Milestone]:
    async with session_factory(engine)() as session:
        return list(
            await session.scalars(
                select(Milestone).where(Milestone.removed_at.is_(None)).order_by(Milestone.id)
            )
        )


async def open_steps(engine: AsyncEngine) -> list[tuple[str, str]]:
    async with session_factory(engine)() as session:
        return [(f.form, f.step) for f in await session.scalars(select(FormState))]


async def test_a_milestone_is_added_step_by_step_and_each_answered_question_keeps_its_words(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now, [("Rapat", 10)])
    budi = await join(bot, telegram, 1001, team["budi"].code)

    overview = await say(bot, budi, "/proyek")
    # The project's three texts on one row, then one row each.
    assert [[b.text for b in row] for row in overview.buttons] == [
        [text(f"project.button.{f}") for f in ("title", "problem", "goal")],
        [ADD],
        ["✏️ Rapat"],
    ]
    await press(bot, budi, overview, ADD)
    assert budi.last.plain == text("milestone.ask.title", limit=300)
    assert await open_steps(engine) == [("project", "title")]

    await say(bot, budi, "Uji coba kanal aduan terpadu")
    horizon = budi.last
    assert horizon.button_texts == [text(f"horizon.{h.value}") for h in Horizon]
    await press(bot, budi, horizon, "Jangka menengah")
    # The question turns into the answer; the date is asked below it.
    assert horizon.plain == text("milestone.horizon_chosen", horizon="Jangka menengah")
    assert horizon.button_texts == []
    assert budi.last.plain == text("milestone.ask.date")

    confirm = await say(bot, budi, "25/12/2026")
    read_back = text("milestone.confirm_date", date="Jumat, 25 Desember 2026", zone="WIB")
    assert confirm.plain == read_back and confirm.button_texts == ["Ya", "Ganti tanggal"]
    await press(bot, budi, confirm, "Ya")
    assert confirm.plain == read_back and confirm.button_texts == []
    output = budi.last
    assert output.plain == text("milestone.ask.output", limit=1000)
    await press(bot, budi, output, "Lewati")
    assert output.button_texts == [] and output.plain == text("milestone.ask.output", limit=1000)

    assert budi.inbox[-2].plain == text("milestone.added", title="Uji coba kanal aduan terpadu")
    assert ["✏️ Uji coba kanal aduan terpadu"] in [
        [b.text for b in row] for row in budi.last.buttons
    ]
    added = (await milestones(engine))[-1]
    assert added.horizon is Horizon.MEDIUM and added.due_on == date(2026, 12, 25)
    assert added.expected_output is None
    assert await open_steps(engine) == []


async def test_a_change_called_off_with_batal_saves_nothing_and_leaves_nothing_open(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now, [("Rapat", 10)])
    budi = await join(bot, telegram, 1001, team["budi"].code)

    overview = await say(bot, budi, "/proyek")
    await press(bot, budi, overview, ADD)
    # Another command meanwhile is "busy"; /batal closes the form.
    assert (await say(bot, budi, "/status")).plain == text("conversation.busy")
    assert (await say(bot, budi, "/batal")).plain == text("conversation.cancelled")
    assert await open_steps(engine) == []
    # The title it asked for is no longer its answer: words are offered as a report.
    assert (await say(bot, budi, "Tahapan yang tidak jadi")).plain == text("report.offer_save")

    # Called off later, its buttons are stale.
    await press(bot, budi, overview, ADD)
    await say(bot, budi, "Tahapan yang tidak jadi")
    horizon = budi.last
    assert (await say(bot, budi, "/batal")).plain == text("conversation.cancelled")
    answer = await press(bot, budi, horizon, "Jangka pendek")
    assert answer is not None and answer.text == text("button.stale")
    assert [m.title for m in await milestones(engine)] == ["Rapat"]

    # A milestone's part, called off the same way, keeps what it was.
    await press(bot, budi, overview, "✏️ Rapat")
    await press(bot, budi, budi.last, text("milestone.part.title"))
    assert await open_steps(engine) == [("project", "title")]
    assert (await say(bot, budi, "/batal")).plain == text("conversation.cancelled")
    assert (await say(bot, budi, "Rapat pleno")).plain == text("report.offer_save")
    assert (await say(bot, budi, "/batal")).plain == text("conversation.nothing_to_cancel")
    assert [m.title for m in await milestones(engine)] == ["Rapat"]


async def test_a_milestone_whose_steps_alternate_between_two_instances_is_added_once(
    telegram: FakeTelegram, engine: AsyncEngine, now: datetime, settings: Settings
) -> None:
    clock = ManualClock(now)
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now, [("Rapat", 10)])
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(instance(telegram, settings, clock, engine))
        second = await stack.enter_async_context(instance(telegram, settings, clock, engine))
        async with first.turn() as bot:
            budi = await join(bot, telegram, 1001, team["budi"].code)

        # Each step goes to the other instance than the one before.
        steps = [
            ("say", "/proyek"),
            ("press", ADD),
            ("say", "Sosialisasi SOP ke kecamatan"),
            ("press", "Jangka pendek"),
            ("say", "25 Des"),
            ("press", "Ya"),
            ("say", "Berita acara sosialisasi"),
        ]
        for number, (kind, what) in enumerate(steps):
            async with (first, second)[number % 2].turn():
                if kind == "say":
                    budi.send(what)
                else:
                    pressed = budi.press(budi.last, what)
            if kind == "press":
                assert pressed.answer is not None
                assert pressed.answer.text != text("button.stale"), (number, what)

    assert budi.inbox[-2].plain == text("milestone.added", title="Sosialisasi SOP ke kecamatan")
    added = [m for m in await milestones(engine) if m.title == "Sosialisasi SOP ke kecamatan"]
    assert len(added) == 1
    assert added[0].due_on == date(2026, 12, 25) and added[0].horizon is Horizon.SHORT
    assert added[0].expected_output == "Berita acara sosialisasi"
    assert await open_steps(engine) == []


async def test_an_overview_too_long_for_one_message_comes_in_parts_with_the_buttons_last(
    bot: RunningBot, telegram: FakeTelegram, engine: AsyncEngine, now: datetime
) -> None:
    team = await import_roster(engine, now)
    titles = [f"Tahapan ke-{n}" for n in range(1, 13)]
    await add_milestones(engine, team["budi"].nip, now, [(t, 10 + n) for n, t in enumerate(titles)])
    async with session_factory(engine)() as session, session.begin():
        await session.execute(update(Milestone).values(expected_output="Keluaran rinci. " * 60))
    budi = await join(bot, telegram, 1001, team["budi"].code)

    before = len(budi.inbox)
    await say(bot, budi, "/proyek")
    parts = budi.inbox[before:]
    assert len(parts) > 1
    assert all(len(p.plain) <= 4096 for p in parts)
    assert all(p.buttons in (None, []) for p in parts[:-1])
    whole = "".join(p.plain for p in parts)
    assert all(title in whole for title in titles)
    assert [f"✏️ {t}" for t in titles] == [row[0].text for row in parts[-1].buttons[2:]]
