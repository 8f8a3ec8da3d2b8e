"""Conversation states and user data kept in the database survive a restart, on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, timedelta
from enum import Enum, IntEnum
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.ext import (
    Application,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.persistence import DatabasePersistence
from domain.clock import ManualClock
from fakegram import FakeTelegram
from models import ConversationState
from models.db import session_factory

Context = ContextTypes.DEFAULT_TYPE


class Step(IntEnum):
    NAME = 1
    AGE = 2
    COLOUR = 3


async def begin(update: Update, context: Context) -> Step:
    """Entry: ask for the name."""
    assert update.message is not None
    await update.message.reply_text("Siapa nama Anda?")
    return Step.NAME


async def got_name(update: Update, context: Context) -> Step:
    """Step 1: remember the name, ask for the age."""
    assert update.message is not None and update.message.text is not None
    assert context.user_data is not None
    context.user_data["name"] = update.message.text
    await update.message.reply_text(f"Berapa umur Anda, {update.message.text}?")
    return Step.AGE


async def got_age(update: Update, context: Context) -> Step:
    """Step 2: remember the age, ask for the colour, by the name remembered in step 1."""
    assert update.message is not None and update.message.text is not None
    assert context.user_data is not None
    context.user_data["age"] = int(update.message.text)
    await update.message.reply_text(f"Warna favorit, {context.user_data.get('name', '?')}?")
    return Step.COLOUR


async def got_colour(update: Update, context: Context) -> int:
    """Step 3: sum up and end."""
    assert update.message is not None and context.user_data is not None
    data = context.user_data
    await update.message.reply_text(
        f"Terima kasih: {data['name']}, {data['age']}, {update.message.text}"
    )
    return ConversationHandler.END


def survey() -> ConversationHandler[Context]:
    answer = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        entry_points=[CommandHandler("survey", begin)],
        states={
            Step.NAME: [MessageHandler(answer, got_name)],
            Step.AGE: [MessageHandler(answer, got_age)],
            Step.COLOUR: [MessageHandler(answer, got_colour)],
        },
        fallbacks=[],
        name="survey",
        persistent=True,
    )


@asynccontextmanager
async def survey_bot(
    telegram: FakeTelegram, engine: AsyncEngine, clock: ManualClock, errors: list[object]
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """A fresh Application with a fresh persistence on the test's database, started and stopped."""
    persistence = DatabasePersistence(session_factory(engine), clock)
    app = (
        Application.builder()
        .token(telegram.token)
        .base_url(telegram.base_url)
        .base_file_url(telegram.base_file_url)
        .persistence(persistence)
        .build()
    )
    app.add_handler(survey())

    async def record(update: object, context: Context) -> None:
        errors.append(context.error)

    app.add_error_handler(record)
    async with app:  # leaving it shuts down, which writes the last changes and flushes
        assert app.updater is not None
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield app
        finally:
            await telegram.wait_idle(app.update_queue)
            await app.updater.stop()
            await app.stop()


async def rows(engine: AsyncEngine) -> dict[tuple[str, str], Any]:
    async with session_factory(engine)() as session:
        found = await session.execute(select(ConversationState))
        return {(r.kind, r.key): r.value for r in found.scalars()}


async def test_a_restart_between_two_answers_resumes_the_survey_at_step_two(
    telegram: FakeTelegram, engine: AsyncEngine, clock: ManualClock
) -> None:
    budi = telegram.user(1001, "Budi")
    errors: list[object] = []

    async with survey_bot(telegram, engine, clock, errors):
        budi.send("/survey")
        assert (await budi.next_reply()).plain == "Siapa nama Anda?"
        budi.send("Budi")
        assert (await budi.next_reply()).plain == "Berapa umur Anda, Budi?"

    stored = await rows(engine)
    assert stored[("conv:survey", "[1001, 1001]")] == Step.AGE == 2
    assert stored[("user", "1001")] == {"name": "Budi"}

    async with survey_bot(telegram, engine, clock, errors):
        budi.send("42")
        assert (await budi.next_reply()).plain == "Warna favorit, Budi?"
        budi.send("biru")
        assert (await budi.next_reply()).plain == "Terima kasih: Budi, 42, biru"

    stored = await rows(engine)
    assert ("conv:survey", "[1001, 1001]") not in stored  # finished, so forgotten
    assert stored[("user", "1001")] == {"name": "Budi", "age": 42}
    assert errors == []
    assert telegram.errors == []


@pytest.fixture
def persistence(engine: AsyncEngine, clock: ManualClock) -> DatabasePersistence:
    return DatabasePersistence(session_factory(engine), clock)


def reopened(engine: AsyncEngine, clock: ManualClock) -> DatabasePersistence:
    """What a restarted bot builds: a new persistence on the same database."""
    return DatabasePersistence(session_factory(engine), clock)


async def test_user_chat_and_bot_data_round_trip_and_drop(
    persistence: DatabasePersistence, engine: AsyncEngine, clock: ManualClock
) -> None:
    profile = {"name": "Budi", "answers": [1, 2.5, True, None], "more": {"lang": "id"}}
    await persistence.update_user_data(1001, profile)
    await persistence.update_user_data(1002, {"name": "Sari"})
    await persistence.update_chat_data(-100123, {"topic": "Angkatan 1"})
    await persistence.update_bot_data({"version": 3})

    again = reopened(engine, clock)
    assert await again.get_user_data() == {1001: profile, 1002: {"name": "Sari"}}
    assert await again.get_chat_data() == {-100123: {"topic": "Angkatan 1"}}
    assert await again.get_bot_data() == {"version": 3}

    await again.drop_user_data(1002)
    await again.drop_chat_data(-100123)
    await again.drop_user_data(4040)  # never stored: nothing to do

    third = reopened(engine, clock)
    assert await third.get_user_data() == {1001: profile}
    assert await third.get_chat_data() == {}


async def test_an_empty_database_gives_empty_data(persistence: DatabasePersistence) -> None:
    assert await persistence.get_user_data() == {}
    assert await persistence.get_chat_data() == {}
    assert await persistence.get_bot_data() == {}
    assert await persistence.get_callback_data() is None
    assert await persistence.get_conversations("survey") == {}


async def test_conversation_states_by_tuple_key_and_none_deletes(
    persistence: DatabasePersistence, engine: AsyncEngine, clock: ManualClock, now: datetime
) -> None:
    await persistence.update_conversation("survey", (1001, 1001), Step.AGE)
    await persistence.update_conversation("survey", (-100123, 1002), "waiting")
    await persistence.update_conversation("survey", ("inline-abc",), (Step.NAME, "nested"))
    await persistence.update_conversation("other", (1001, 1001), 7)

    async with session_factory(engine)() as session:
        row = await session.get(ConversationState, ("conv:survey", "[1001, 1001]"))
        assert row is not None and row.value == 2 and type(row.value) is int
        assert row.updated_at == now

    states = await reopened(engine, clock).get_conversations("survey")
    assert states == {
        (1001, 1001): Step.AGE,
        (-100123, 1002): "waiting",
        ("inline-abc",): (1, "nested"),  # a tuple again, so it can key the states dict
    }

    await persistence.update_conversation("survey", (1001, 1001), None)
    states = await reopened(engine, clock).get_conversations("survey")
    assert (1001, 1001) not in states and len(states) == 2
    assert await reopened(engine, clock).get_conversations("other") == {(1001, 1001): 7}


async def test_a_changed_value_is_rewritten_with_the_time_and_an_unchanged_one_is_not(
    engine: AsyncEngine, now: datetime
) -> None:
    moment = now
    persistence = DatabasePersistence(session_factory(engine), lambda: moment)

    await persistence.update_bot_data({"count": 1})
    moment = now + timedelta(minutes=5)
    await persistence.update_bot_data({"count": 1})  # PTB hands bot_data over every interval
    assert await updated_at(engine, "bot", "bot") == now

    await persistence.update_bot_data({"count": 2})
    assert await updated_at(engine, "bot", "bot") == now + timedelta(minutes=5)
    assert await rows(engine) == {("bot", "bot"): {"count": 2}}


async def updated_at(engine: AsyncEngine, kind: str, key: str) -> datetime:
    async with session_factory(engine)() as session:
        row = await session.get(ConversationState, (kind, key))
        assert row is not None
        return row.updated_at


async def test_callback_data_round_trip(
    persistence: DatabasePersistence, engine: AsyncEngine, clock: ManualClock
) -> None:
    cache = (
        [("kb-1", 1762045200.5, {"btn-a": {"action": "approve", "id": 9}, "btn-b": "no"})],
        {"query-1": "kb-1"},
    )
    await persistence.update_callback_data(cache)

    assert await reopened(engine, clock).get_callback_data() == cache


class Colour(Enum):
    BLUE = "blue"


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"photo": object()}, r"user_data\[1001\]\['photo'\] is of type object"),
        ({"profile": {"seen": {1, 2}}}, r"user_data\[1001\]\['profile'\]\['seen'\] is of type set"),
        ({"pair": (1, 2)}, r"user_data\[1001\]\['pair'\] is of type tuple"),
        ({"colour": Colour.BLUE}, r"user_data\[1001\]\['colour'\] is of type Colour"),
        ({"scores": {7: "x"}}, r"user_data\[1001\]\['scores'\] has the key 7 \(int\)"),
        ({"ratio": float("nan")}, r"user_data\[1001\]\['ratio'\] is nan"),
    ],
)
async def test_user_data_that_json_cannot_hold_is_refused_naming_the_key(
    persistence: DatabasePersistence, engine: AsyncEngine, data: dict[str, Any], named: str
) -> None:
    with pytest.raises(TypeError, match=named):
        await persistence.update_user_data(1001, data)

    assert await rows(engine) == {}


@pytest.mark.parametrize("state", [object(), Colour.BLUE, [1, 2], {"step": 1}])
async def test_a_state_that_json_cannot_hold_is_refused(
    persistence: DatabasePersistence, engine: AsyncEngine, state: object
) -> None:
    with pytest.raises(TypeError, match=r"conversation 'survey' \(1001, 1001\): cannot persist"):
        await persistence.update_conversation("survey", (1001, 1001), state)

    assert await rows(engine) == {}


async def test_a_name_too_long_for_the_kind_column_is_refused(
    persistence: DatabasePersistence,
) -> None:
    with pytest.raises(ValueError, match="at most 35 characters"):
        await persistence.update_conversation("x" * 36, (1,), 1)


@contextmanager
def counted(engine: AsyncEngine) -> Iterator[dict[str, int]]:
    """Transactions committed and SQL statements run on the engine while inside."""
    seen = {"commits": 0, "statements": 0}

    def commit(*_: object) -> None:
        seen["commits"] += 1

    def statement(*_: object) -> None:
        seen["statements"] += 1

    event.listen(engine.sync_engine, "commit", commit)
    event.listen(engine.sync_engine, "before_cursor_execute", statement)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "commit", commit)
        event.remove(engine.sync_engine, "before_cursor_execute", statement)


async def test_the_rows_of_one_persistence_run_are_committed_in_one_transaction(
    persistence: DatabasePersistence, engine: AsyncEngine
) -> None:
    await persistence.update_conversation("survey", (1003, 1003), Step.AGE)

    # What Application.update_persistence does: every changed row handed over at once.
    with counted(engine) as seen:
        await asyncio.gather(
            persistence.update_user_data(1001, {"name": "Budi"}),
            persistence.update_user_data(1002, {"name": "Sari"}),
            persistence.update_conversation("survey", (1001, 1001), Step.NAME),
            persistence.update_conversation("survey", (1002, 1002), Step.AGE),
            persistence.update_conversation("survey", (1003, 1003), None),
        )

    assert seen["commits"] == 1
    assert await rows(engine) == {
        ("user", "1001"): {"name": "Budi"},
        ("user", "1002"): {"name": "Sari"},
        ("conv:survey", "[1001, 1001]"): 1,
        ("conv:survey", "[1002, 1002]"): 2,
    }


async def test_unchanged_rows_and_rows_never_stored_cost_no_statement(
    persistence: DatabasePersistence, engine: AsyncEngine
) -> None:
    await persistence.update_conversation("survey", (1001, 1001), Step.AGE)
    await persistence.update_user_data(1001, {"name": "Budi"})

    with counted(engine) as seen:
        await persistence.update_conversation("survey", (1001, 1001), Step.AGE)
        await persistence.update_user_data(1001, {"name": "Budi"})
        # A conversation that began and ended between two runs was never stored.
        await persistence.update_conversation("survey", (1002, 1002), None)
        await persistence.drop_user_data(4040)

    assert seen == {"commits": 0, "statements": 0}


async def test_a_change_handed_over_while_an_older_one_commits_is_not_lost(
    persistence: DatabasePersistence, engine: AsyncEngine
) -> None:
    await persistence.update_user_data(1001, {"step": 0})

    first = asyncio.create_task(persistence.update_user_data(1001, {"step": 1}))
    for _ in range(1000):  # until the first change is being committed
        if persistence._inflight:
            break
        await asyncio.sleep(0)
    assert persistence._inflight, "the first change never reached its commit"
    # Back to what was stored before: it must still be written, after the first change.
    await persistence.update_user_data(1001, {"step": 0})
    await first

    assert await rows(engine) == {("user", "1001"): {"step": 0}}
