"""Update processing: concurrent across users, strictly in order for each user."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Hashable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

# PTB holds its own semaphore (`max_concurrent_updates`) around do_process_update(), also while
# an update only waits for its turn in a lane. Kept at the cap, one user's burst (an album, a
# double tap) would hold slots just by waiting and stall everybody else. So PTB's bound is set
# high and the cap is enforced here, on running updates only. PTB creates one task per update
# whatever the bound, so this adds nothing that grows with the load.
_WAITING_BOUND = 1_000_000

# Updates that name neither a user nor a chat (some chat member or poll updates) share a lane.
SHARED_LANE: Hashable = ("shared",)


@dataclass(frozen=True)
class Lane:
    """An update known by its inbox lane only (a WhatsApp row: "wa:<wa_id>")."""

    name: str


def lane_of(update: object) -> Hashable:
    """The lane an update is ordered in: its user, else its chat, else the shared lane."""
    if isinstance(update, Lane):
        return ("lane", update.name)
    if isinstance(update, Update):
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
    return SHARED_LANE


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Runs up to `limit` updates at once, but never two of the same lane, and each lane's
    updates in the order Telegram sent them.

    A ConversationHandler sets a user's new state only when the callback returns, and our
    handlers reply before their transaction commits; so a user's next update must not start
    before the previous one has finished. Other users need not wait for it.

    A lane is a chain of futures: each update waits for the one queued before it in its lane,
    and the lane is forgotten when its last update finishes, so idle users cost nothing.
    Ordering relies on PTB starting one task per update in the order it fetched them; each task
    joins its lane before its first suspension point.
    """

    __slots__ = ("_idle", "_lanes", "_limit", "_pending", "_running")

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        super().__init__(max_concurrent_updates=_WAITING_BOUND)
        self._limit = limit
        self._running = asyncio.Semaphore(limit)
        # lane -> the future its newest update resolves when done (the lane's tail).
        self._lanes: dict[Hashable, asyncio.Future[None]] = {}
        self._pending = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def limit(self) -> int:
        """How many updates run at the same time at most."""
        return self._limit

    @property
    def pending(self) -> int:
        """Updates queued in a lane or running."""
        return self._pending

    @property
    def lanes(self) -> int:
        """Lanes with at least one update queued or running."""
        return len(self._lanes)

    async def wait_idle(self) -> None:
        """Return once no update is queued or running."""
        await self._idle.wait()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for this lane's previous update, then run within the cap."""
        # Everything up to the first await runs synchronously: this is where the order is fixed.
        key = lane_of(update)
        previous = self._lanes.get(key)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._lanes[key] = done
        self._pending += 1
        self._idle.clear()
        started = False
        try:
            if previous is not None:
                # shield(): a cancelled waiter must not cancel the update it waits for.
                await asyncio.shield(previous)
            async with self._running:
                started = True
                # The handlers' exceptions never reach here: Application.process_update hands
                # them to the error handler. Whatever does arrive still frees the lane below.
                await coroutine
        finally:
            if not started:
                _close(coroutine)
            if previous is not None and not previous.done():
                # Cancelled while waiting: the next update still waits for the one before us.
                previous.add_done_callback(lambda _: _resolve(done))
            else:
                _resolve(done)
            if self._lanes.get(key) is done:
                del self._lanes[key]
            self._pending -= 1
            if self._pending == 0:
                self._idle.set()

    async def initialize(self) -> None:
        """Nothing to allocate: lanes come and go with the updates."""

    async def shutdown(self) -> None:
        """Nothing to free: Application.stop() has already awaited every update task."""


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _close(coroutine: Awaitable[Any]) -> None:
    # An update cancelled before its turn: close its coroutine so Python does not warn that it
    # was never awaited.
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()
