"""One real instance in process, as `properbot run` runs it (bot/serve.py): the web server with
WhatsApp's webhook, the active worker handling both channels' inbox rows (Telegram's fetched by
long polling from fakegram, WhatsApp's posted by fakewa), and the real sender with its WhatsApp
channel, all on the test's database.

Time runs for real (the sender and the sweeps pace on it as in production), from the test's
`now`; `clock.advance()` jumps ahead, for a 24-hour window to close."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot.app import SENDER, SWEEPER
from bot.demo_whatsapp import approve_templates, whatsapp_settings
from bot.harness import settings_for
from bot.sender import Sender
from bot.serve import serve
from bot.settings import Settings
from domain.enums import Channel, OutboxStatus
from fakegram import FakeTelegram
from fakewa import FakePerson, FakeWhatsApp, OutgoingMessage
from models import ChannelAccount, InboxUpdate, OutboxMessage
from models.db import session_factory
from services import inbox
from services.reminders import ReminderSweep, SweepResult
from tests.integration.whatsapp_harness import VERIFY_TOKEN
from web.server import bind

SETTLE_TIMEOUT = 30.0


class RunningClock:
    """Real time from `start`, plus whatever `advance` added."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._began = time.monotonic()
        self._ahead = timedelta()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._began) + self._ahead

    def advance(self, delta: timedelta) -> None:
        self._ahead += delta


@dataclass
class MixedInstance:
    telegram: FakeTelegram
    wa: FakeWhatsApp
    engine: AsyncEngine
    clock: RunningClock
    base_url: str
    apps: list[Application] = field(default_factory=list)  # type: ignore[type-arg]

    @property
    def app(self) -> Application:  # type: ignore[type-arg]
        """The application of the active worker (the newest it built)."""
        assert self.apps, "the instance never became the active worker"
        return self.apps[-1]

    @property
    def sender(self) -> Sender:
        sender = self.app.bot_data[SENDER]
        assert isinstance(sender, Sender)
        return sender

    async def sweep(self) -> SweepResult:
        """The instance's own reminder sweep at the clock's time, as its scheduler runs it."""
        sweeper = self.app.bot_data[SWEEPER]
        assert isinstance(sweeper, ReminderSweep)
        return await sweeper.run()

    async def settle(self, timeout: float = SETTLE_TIMEOUT) -> None:  # noqa: ASYNC109
        """Until both channels' updates are stored and handled, and nothing due waits to be
        sent (status webhooks included): quiet twice in a row, a moment apart."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        quiet = 0
        while quiet < 2:
            await self.wa.wait_delivered(max(deadline - loop.time(), 0.1))
            busy = await self._busy()
            quiet = 0 if busy else quiet + 1
            if busy and loop.time() > deadline:
                raise AssertionError(f"the instance did not settle: {busy}")
            await asyncio.sleep(0.05)

    async def _busy(self) -> str:
        async with session_factory(self.engine)() as session:
            stored = await session.scalar(
                select(func.max(InboxUpdate.update_id)).where(
                    InboxUpdate.channel == Channel.TELEGRAM.value
                )
            )
            if self.telegram.last_update_id > (stored or 0):
                return f"telegram update {self.telegram.last_update_id} not stored"
            pending = (await inbox.depth(session))[inbox.PENDING]
            if pending:
                return f"{pending} inbox rows pending"
            due = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
                    OutboxMessage.not_before <= self.clock.now(),
                )
            )
            if due:
                return f"{due} outbox messages due"
        if self.wa.pending_webhooks:
            return "whatsapp webhooks pending"
        return ""

    # -- people acting ------------------------------------------------------------------------

    async def say(self, user: Any, text: str, **kwargs: Any) -> Any:
        """A Telegram user writes; their newest message from the bot once settled."""
        user.send(text, **kwargs)
        await self.settle()
        return user.last

    async def press(self, user: Any, message: Any, button: str) -> Any:
        """A Telegram user presses an inline button; the callback answer, once settled."""
        pressed = user.press(message, button)
        await self.settle()
        return pressed.answer

    async def join_telegram(self, user_id: int, name: str, code: str) -> Any:
        user = self.telegram.user(user_id, name)
        consent = await self.say(user, f"/start {code}")
        await self.press(user, consent, "Setuju")
        return user

    async def join_whatsapp(self, wa_id: str, name: str, code: str) -> FakePerson:
        """DAFTAR with the invite code, then "Setuju" (whatsapp_harness.join's steps)."""
        person = self.wa.person(wa_id, name)
        person.send(f"DAFTAR {code}")
        consent = await person.next_reply(timeout=SETTLE_TIMEOUT)
        person.press(consent, "Setuju")
        for _ in range(3):  # recorded, the cohort, the menu
            await person.next_reply(timeout=SETTLE_TIMEOUT)
        await self.settle()
        return person

    async def replies(self, person: FakePerson, count: int) -> list[OutgoingMessage]:
        return [await person.next_reply(timeout=SETTLE_TIMEOUT) for _ in range(count)]

    async def whatsapp_account(self, wa_id: str) -> ChannelAccount | None:
        async with session_factory(self.engine)() as session:
            return await session.scalar(
                select(ChannelAccount).where(
                    ChannelAccount.channel == Channel.WHATSAPP,
                    ChannelAccount.external_user_id == wa_id,
                )
            )


def instance_settings(
    base: Settings, database_url: str, telegram: FakeTelegram, wa: FakeWhatsApp
) -> Settings:
    """The test's settings for both fake servers, as WHATSAPP_* would set them."""
    return replace(
        settings_for(telegram, base),
        database_url=database_url,
        whatsapp=whatsapp_settings(wa, VERIFY_TOKEN),
    )


@asynccontextmanager
async def running_instance(
    database_url: str, settings: Settings, engine: AsyncEngine, start: datetime
) -> AsyncIterator[MixedInstance]:
    """serve() in a task until the block ends; yields once it is the active worker, polls
    fakegram and fakewa's webhook is registered on its web server."""
    clock = RunningClock(start)
    async with (
        FakeTelegram(
            bot_username="properbot_test_bot", clock=lambda: clock.now().timestamp()
        ) as telegram,
        FakeWhatsApp(clock=clock) as wa,
    ):
        wa.webhook_retry_delay = 0.01
        approve_templates(wa)
        sock = bind("127.0.0.1", 0)
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        mixed = MixedInstance(telegram, wa, engine, clock, base)
        stop = asyncio.Event()
        configured = instance_settings(settings, database_url, telegram, wa)
        running = asyncio.create_task(
            serve(configured, sock, stop=stop, clock=clock, built=mixed.apps.append)
        )
        try:
            await telegram.wait_for(lambda: telegram.calls_to("getUpdates"), timeout=60)
            await wa.set_webhook(f"{base}{configured.whatsapp.webhook_path}", VERIFY_TOKEN)  # type: ignore[union-attr]
            yield mixed
        finally:
            stop.set()
            await asyncio.wait_for(running, 60)
            await wa.remove_webhook()
