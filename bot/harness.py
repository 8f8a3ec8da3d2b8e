"""Run the real bot against the local fake Bot API server: for tests, the demo and benchmarks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot.app import build_application
from bot.settings import Settings
from domain.clock import Clock
from fakegram import FakeTelegram


class TrackingApplication(Application):  # type: ignore[type-arg]
    """An Application that tells when it has finished processing each update.

    Waiting on this instead of sleeping is what lets tests be fast and never flaky.
    """

    async def process_update(self, update: object) -> None:
        try:
            await super().process_update(update)
        finally:
            update_id = getattr(update, "update_id", None)
            if update_id is not None:
                tracker = _tracker(self)
                async with tracker:
                    self.bot_data["_processed"] = max(self.bot_data.get("_processed", 0), update_id)
                    tracker.notify_all()


def _tracker(app: Application) -> asyncio.Condition:  # type: ignore[type-arg]
    condition = app.bot_data.get("_tracker")
    if condition is None:
        condition = app.bot_data["_tracker"] = asyncio.Condition()
    assert isinstance(condition, asyncio.Condition)
    return condition


class RunningBot:
    """A started bot polling the fake server."""

    def __init__(self, app: Application, server: FakeTelegram) -> None:  # type: ignore[type-arg]
        self.app = app
        self.server = server

    @property
    def processed_update_id(self) -> int:
        value = self.app.bot_data.get("_processed", 0)
        assert isinstance(value, int)
        return value

    async def settle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has fully handled every update the server has queued so far."""
        target = self.server.last_update_id
        tracker = _tracker(self.app)
        async with tracker:
            await asyncio.wait_for(
                tracker.wait_for(lambda: self.processed_update_id >= target), timeout
            )


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
    )
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
