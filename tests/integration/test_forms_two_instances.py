"""Two bot instances on one database finish one participant's /lapor whose steps arrive at
alternate instances: the form lives in the database, not in either process's memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_application
from bot.harness import RunningBot, TrackingApplication, settings_for
from bot.settings import Settings
from domain.clock import ManualClock
from fakegram import FakeTelegram
from models import ProgressUpdate
from models.db import session_factory
from tests.factories import add_milestones, import_roster
from tests.integration.helpers import text
from tests.integration.test_reports import join


class Instance:
    """One started Application that polls the fake server only while it is its turn, as if
    the updates were handed to it and not to the other."""

    def __init__(self, app: TrackingApplication, server: FakeTelegram) -> None:
        self.app = app
        self.bot = RunningBot(app, server)

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[RunningBot]:
        assert self.app.updater is not None
        await self.app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield self.bot
            await self.bot.settle()
        finally:
            await self.app.updater.stop()


@asynccontextmanager
async def instance(
    server: FakeTelegram, settings: Settings, clock: ManualClock, engine: AsyncEngine
) -> AsyncIterator[Instance]:
    app = build_application(
        settings_for(server, settings),
        clock=clock,
        engine=engine,
        application_class=TrackingApplication,
        background=False,
    )
    assert isinstance(app, TrackingApplication)
    async with app:
        assert app.post_init is not None
        await app.post_init(app)
        await app.start()
        try:
            yield Instance(app, server)
        finally:
            await app.stop()
            if app.post_shutdown is not None:
                await app.post_shutdown(app)


async def test_a_report_whose_steps_alternate_between_two_instances_is_sent_once(
    telegram: FakeTelegram, engine: AsyncEngine, now: datetime, settings: Settings
) -> None:
    clock = ManualClock(now)
    team = await import_roster(engine, now)
    await add_milestones(engine, team["budi"].nip, now)
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(instance(telegram, settings, clock, engine))
        second = await stack.enter_async_context(instance(telegram, settings, clock, engine))
        async with first.turn() as bot:
            budi = await join(bot, telegram, 1001, team["budi"].code)
            bambang = await join(bot, telegram, 1005, team["bambang"].code)

        # Each step goes to the other instance than the one before.
        steps: list[tuple[str, str]] = [
            ("say", "/lapor"),
            ("press", "first"),
            ("say", "Sosialisasi ke 12 OPD, bergantian."),
            ("press", "Lewati"),  # kendala
            ("press", "Lewati"),  # rencana berikutnya
            ("press", "Lewati"),  # bukti dukung
            ("press", "40%"),
            ("press", "Kirim"),
        ]
        for number, (kind, what) in enumerate(steps):
            now_serving = (first, second)[number % 2]
            async with now_serving.turn() as bot:
                if kind == "say":
                    budi.send(what)
                else:
                    button = budi.last.button_texts[0] if what == "first" else what
                    pressed = budi.press(budi.last, button)
            if kind == "press":
                assert pressed.answer is not None
                assert pressed.answer.text != text("button.stale"), (number, what)

    assert budi.last.plain.startswith("✅ Laporan tersimpan")
    assert "Sosialisasi ke 12 OPD, bergantian." in bambang.last.plain
    async with session_factory(engine)() as session:
        reports = await session.scalar(select(func.count()).select_from(ProgressUpdate))
        assert reports == 1
