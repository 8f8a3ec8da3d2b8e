"""Two bot instances on one database finish one participant's /lapor whose steps arrive at
alternate instances: the form lives in the database, not in either process's memory."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings
from domain.clock import ManualClock
from fakegram import FakeTelegram
from models import ProgressUpdate
from models.db import session_factory
from tests.factories import add_milestones, import_roster
from tests.integration.helpers import text
from tests.integration.stories import instance, join


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
