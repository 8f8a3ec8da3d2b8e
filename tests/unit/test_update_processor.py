"""The per-user update processor: concurrent across lanes, in order within one, capped."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from telegram import CallbackQuery, Chat, Message, Update, User
from telegram.ext import Application

from bot.processor import SHARED_LANE, PerUserUpdateProcessor, lane_of

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def message_from(user_id: int, update_id: int) -> Update:
    user = User(user_id, f"U{user_id}", is_bot=False)
    msg = Message(update_id, NOW, Chat(user_id, "private"), from_user=user, text="x")
    return Update(update_id, message=msg)


class Feed:
    """Hands updates to the processor the way PTB does: one task per update, in order."""

    def __init__(self, processor: PerUserUpdateProcessor) -> None:
        self.processor = processor
        self.log: list[tuple[str, int]] = []
        self.gates: dict[int, asyncio.Event] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self.running = 0
        self.most_running = 0

    async def _work(self, update_id: int, fail: bool) -> None:
        self.log.append(("start", update_id))
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            gate = self.gates.setdefault(update_id, asyncio.Event())
            await gate.wait()
            if fail:
                raise RuntimeError("handler failed")
        finally:
            self.running -= 1
            self.log.append(("end", update_id))

    def send(self, update: Any, *, fail: bool = False, hold: bool = True) -> None:
        update_id = update.update_id
        gate = self.gates.setdefault(update_id, asyncio.Event())
        if not hold:
            gate.set()
        coroutine = self._work(update_id, fail)
        self.tasks.append(asyncio.create_task(self.processor.process_update(update, coroutine)))

    def release(self, update_id: int) -> None:
        self.gates[update_id].set()

    def started(self) -> list[int]:
        return [u for event, u in self.log if event == "start"]


async def until(predicate: Any) -> None:
    for _ in range(200):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition not reached")


def test_lanes_are_users_then_chats_then_one_shared_lane() -> None:
    assert lane_of(message_from(7, 1)) == ("user", 7)
    user = User(8, "B", is_bot=False)
    pressed = CallbackQuery("q", user, "inst", data="x")
    assert lane_of(Update(2, callback_query=pressed)) == ("user", 8)
    channel_post = Message(3, NOW, Chat(-100, "channel"), text="x")
    assert lane_of(Update(3, channel_post=channel_post)) == ("chat", -100)
    assert lane_of(Update(4)) == SHARED_LANE
    assert lane_of(object()) == SHARED_LANE


async def test_another_user_runs_while_one_user_waits_for_a_slow_update() -> None:
    processor = PerUserUpdateProcessor(4)
    feed = Feed(processor)
    feed.send(message_from(1, 1))  # slow: held
    feed.send(message_from(1, 2), hold=False)  # same user: must wait
    feed.send(message_from(2, 3), hold=False)  # another user: runs now
    await until(lambda: ("end", 3) in feed.log)
    assert feed.started() == [1, 3]
    assert processor.pending == 2 and processor.lanes == 1  # user 2's lane is gone
    feed.release(1)
    await asyncio.gather(*feed.tasks)
    assert feed.started() == [1, 3, 2]
    assert feed.log.index(("end", 1)) < feed.log.index(("start", 2))
    assert processor.pending == 0 and processor.lanes == 0


async def test_one_users_burst_runs_strictly_in_order() -> None:
    processor = PerUserUpdateProcessor(8)
    feed = Feed(processor)
    for update_id in range(1, 21):
        feed.send(message_from(5, update_id), hold=False)
    await asyncio.gather(*feed.tasks)
    expected = [(event, u) for u in range(1, 21) for event in ("start", "end")]
    assert feed.log == expected
    assert feed.most_running == 1


async def test_the_cap_bounds_running_updates_not_waiting_ones() -> None:
    processor = PerUserUpdateProcessor(3)
    feed = Feed(processor)
    # A burst from one user first: waiting in its lane must not use up the cap.
    for update_id in range(1, 6):
        feed.send(message_from(1, update_id))
    for user_id in range(2, 8):
        feed.send(message_from(user_id, 10 + user_id))
    await until(lambda: len(feed.started()) == 3)
    for _ in range(20):
        await asyncio.sleep(0)
    assert feed.started() == [1, 12, 13] and feed.running == 3
    for gate in feed.gates.values():
        gate.set()
    await asyncio.gather(*feed.tasks)
    assert feed.most_running == 3
    assert processor.pending == 0 and processor.lanes == 0


async def test_a_failing_update_does_not_stall_its_lane() -> None:
    processor = PerUserUpdateProcessor(2)
    feed = Feed(processor)
    feed.send(message_from(1, 1), fail=True, hold=False)
    feed.send(message_from(1, 2), hold=False)
    results = await asyncio.gather(*feed.tasks, return_exceptions=True)
    assert isinstance(results[0], RuntimeError) and results[1] is None
    assert feed.started() == [1, 2]
    await asyncio.wait_for(processor.wait_idle(), 1)


async def test_a_cancelled_waiter_keeps_the_lane_in_order() -> None:
    processor = PerUserUpdateProcessor(4)
    feed = Feed(processor)
    feed.send(message_from(1, 1))
    feed.send(message_from(1, 2))
    feed.send(message_from(1, 3), hold=False)
    await until(lambda: feed.started() == [1])
    feed.tasks[1].cancel()  # update 2 is dropped while it waits for update 1
    await asyncio.sleep(0)
    assert feed.started() == [1]  # update 3 still waits for update 1
    feed.release(1)
    await asyncio.gather(*feed.tasks, return_exceptions=True)
    assert feed.started() == [1, 3]
    assert processor.pending == 0 and processor.lanes == 0


async def test_idle_is_reported_only_when_nothing_is_queued_or_running() -> None:
    processor = PerUserUpdateProcessor(2)
    feed = Feed(processor)
    await asyncio.wait_for(processor.wait_idle(), 1)
    feed.send(message_from(1, 1))
    await until(lambda: feed.started() == [1])
    waiter = asyncio.create_task(processor.wait_idle())
    await asyncio.sleep(0)
    assert not waiter.done()
    feed.release(1)
    await asyncio.wait_for(waiter, 1)


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        PerUserUpdateProcessor(0)


async def test_the_application_runs_updates_concurrently_through_it() -> None:
    processor = PerUserUpdateProcessor(4)
    app = Application.builder().token("1:x").concurrent_updates(processor).build()
    assert app.update_processor is processor and app.concurrent_updates > 1
    assert processor.limit == 4
