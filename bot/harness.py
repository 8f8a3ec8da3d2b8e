"""Run the real bot against the local fake Bot API server: for tests, the demo and benchmarks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import SENDER, SWEEPER, build_application
from bot.observed import ObservedApplication
from bot.processor import PerUserUpdateProcessor
from bot.sender import DrainResult, Sender
from bot.settings import Settings
from domain.clock import Clock
from fakegram import FakeTelegram
from services.outbox import RELAY
from services.reminders import ReminderSweep, SweepResult

# settle() sends the relays due, batch after batch, at most this many times (a relay that keeps
# failing waits for its retry, which is not due now, so the loop ends well before).
_RELAY_ROUNDS = 20


class TrackingApplication(ObservedApplication):
    """An Application that tells when it has finished processing each update (and, as in
    production, logs and counts it).

    Waiting on this instead of sleeping is what lets tests be fast and never flaky. The
    bookkeeping lives on the instance, not in bot_data, which persistence would try to store.
    """

    processed_update_id = 0
    _tracker: asyncio.Condition | None = None

    @property
    def tracker(self) -> asyncio.Condition:
        if self._tracker is None:
            self._tracker = asyncio.Condition()
        return self._tracker

    async def process_update(self, update: object) -> None:
        try:
            await super().process_update(update)
        finally:
            update_id = getattr(update, "update_id", None)
            if update_id is not None:
                async with self.tracker:
                    self.processed_update_id = max(self.processed_update_id, update_id)
                    self.tracker.notify_all()


class RunningBot:
    """A started bot polling the fake server."""

    def __init__(self, app: TrackingApplication, server: FakeTelegram) -> None:
        self.app = app
        self.server = server

    @property
    def sender(self) -> Sender:
        sender = self.app.bot_data[SENDER]
        assert isinstance(sender, Sender)
        return sender

    async def deliver(self) -> DrainResult:
        """Send what the outbox has due now, as the background sender would at this moment."""
        return await self.sender.drain_once()

    @property
    def sweeper(self) -> ReminderSweep:
        """The bot's reminder sweep: the very object the scheduler's job runs in production."""
        sweeper = self.app.bot_data[SWEEPER]
        assert isinstance(sweeper, ReminderSweep)
        return sweeper

    async def sweep(self) -> SweepResult:
        """Plan the reminders due at the clock's time, as the scheduler's job would now."""
        return await self.sweeper.run()

    async def settle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has fully handled every update the server has queued so far,
        and has sent the relays they queued (reports, notes: what the background sender,
        woken by each commit, sends within the second in production).

        With the per-user processor, updates finish out of order, so the newest one being done
        is not enough: once it is, every older one has at least joined its lane (PTB starts the
        update tasks in order), and the processor going idle means those are done too.
        Other queued messages (reminders, notices) wait for `deliver()`, as before.
        """
        target = self.server.last_update_id
        app = self.app
        async with asyncio.timeout(timeout):
            async with app.tracker:
                await app.tracker.wait_for(lambda: app.processed_update_id >= target)
            processor = app.update_processor
            if isinstance(processor, PerUserUpdateProcessor):
                await processor.wait_idle()
            await self.send_relays()

    async def send_relays(self) -> DrainResult:
        """Send every relay due now, without the per-chat pacing: the tests' clock stands still
        while a real sender would spread them over a few seconds. Each chat's relays still go
        in the order they were queued. Returns what was done."""
        done = DrainResult()
        for _ in range(_RELAY_ROUNDS):
            result = await self.sender.drain_once(kinds=(RELAY,), paced=False)
            done.absorb(result)
            if not result.busy:
                break
        return done


def settings_for(server: FakeTelegram, base: Settings) -> Settings:
    return replace(
        base,
        telegram_bot_token=server.token,
        telegram_api_root=server.api_root,
        telegram_bot_username=server.bot_username,
    )


@asynccontextmanager
async def running_bot(
    server: FakeTelegram,
    settings: Settings,
    *,
    clock: Clock,
    engine: AsyncEngine,
) -> AsyncIterator[RunningBot]:
    """Start the real Application, polling the fake server over HTTP, and stop it after."""
    app = build_application(
        settings_for(server, settings),
        clock=clock,
        engine=engine,
        application_class=TrackingApplication,
        # No background scheduler: the caller moves the clock and calls deliver() itself.
        background=False,
    )
    assert isinstance(app, TrackingApplication)
    async with app:
        assert app.post_init is not None and app.updater is not None
        await app.post_init(app)
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=5, drop_pending_updates=False)
        try:
            yield RunningBot(app, server)
        finally:
            await app.updater.stop()
            await app.stop()
            if app.post_shutdown is not None:
                await app.post_shutdown(app)
