"""The WhatsApp front end under test: fakewa posts signed webhooks to the real web app, whose
webhook stores them in the inbox; a worker loop hands each row to the WhatsApp adapter the way
bot/worker.py does (bot.worker.handle_row, in its lane), on the test's database."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

from pywa_async import WhatsApp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.demo_whatsapp import WhatsAppFront
from domain.clock import ManualClock
from domain.enums import Channel
from domain.markup import to_whatsapp
from domain.timezones import WIB
from fakewa import FakePerson, FakeWhatsApp, OutgoingMessage
from models import ChannelAccount, Person
from models.db import session_factory
from services.onboarding import GuessLimits
from storage.evidence_store import MemoryStore
from web.app import create_web_app
from web.server import WebServer, bind
from whatsapp.keywords import whatsapp_translator
from whatsapp.runtime import WHATSAPP_KEY, WhatsAppRuntime
from whatsapp.webhook import WhatsAppWebhook, inbox_store

VERIFY_TOKEN = "verify-properbot"


def text(key: str, /, **params: object) -> str:
    """An Indonesian catalog text as WhatsApp shows it (keywords for commands, its markup)."""
    return to_whatsapp(whatsapp_translator("id")(key, **params))


@dataclass
class WhatsAppBot:
    """The adapter running against fakewa; `woken` counts the sender being told to look.
    Its webhook and worker loop are the demo's (bot/demo_whatsapp.py WhatsAppFront)."""

    wa: FakeWhatsApp
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: ManualClock
    runtime: WhatsAppRuntime
    store: MemoryStore
    front: WhatsAppFront
    woken: list[int] = field(default_factory=list)

    async def settle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until every webhook is stored and every stored row handled."""
        await self.front.settle(timeout)


@contextlib.asynccontextmanager
async def running_whatsapp(engine: AsyncEngine, clock: ManualClock) -> AsyncIterator[WhatsAppBot]:
    async with FakeWhatsApp(clock=clock) as wa:
        wa.webhook_retry_delay = 0.01
        sessions = session_factory(engine)
        front = WhatsAppFront(wa, sessions)
        webhook = WhatsAppWebhook(
            path="/whatsapp",
            phone_number_id=wa.phone_number_id,
            app_secret=wa.app_secret,
            verify_token=VERIFY_TOKEN,
            store=inbox_store(sessions, clock, front.arrived.set),
        )
        sock = bind("127.0.0.1", 0)
        server = WebServer(create_web_app(engine, whatsapp_webhook=webhook), sock)
        await server.start()
        http = wa.httpx_client()
        store = MemoryStore()
        woken: list[int] = []
        runtime = WhatsAppRuntime(
            client=WhatsApp(
                phone_id=wa.phone_number_id,
                token=wa.access_token,
                session=http,
                server=None,
                verify_token=None,
            ),
            sessions=sessions,
            clock=clock,
            default_language="id",
            default_zone=WIB,
            guess_limits=GuessLimits(max_failures=5, lockout=timedelta(minutes=15)),
            wake=lambda: woken.append(1),
            evidence_store=store,
        )
        bot = WhatsAppBot(wa, engine, sessions, clock, runtime, store, front, woken)
        stop = asyncio.Event()
        # The runtime is read per row: a test may change it.
        worker = asyncio.create_task(front.work(lambda: {WHATSAPP_KEY: bot.runtime}, clock, stop))
        try:
            await wa.set_webhook(f"http://127.0.0.1:{server.port}/whatsapp", VERIFY_TOKEN)
            yield bot
        finally:
            stop.set()
            await worker
            await wa.remove_webhook()
            await server.stop()
            sock.close()
            await http.aclose()


async def join(bot: WhatsAppBot, person: FakePerson, code: str) -> list[OutgoingMessage]:
    """DAFTAR with the invite code and "Setuju": the messages of the welcome."""
    person.send(f"DAFTAR {code}")
    consent = await person.next_reply()
    person.press(consent, "Setuju")
    welcome = [await person.next_reply() for _ in range(3)]
    await bot.settle()
    return welcome


async def whatsapp_account(bot: WhatsAppBot, wa_id: str) -> ChannelAccount | None:
    async with bot.sessions() as session:
        return await session.scalar(
            select(ChannelAccount).where(
                ChannelAccount.channel == Channel.WHATSAPP,
                ChannelAccount.external_user_id == wa_id,
            )
        )


async def person_id(bot: WhatsAppBot, nip: str) -> int:
    async with bot.sessions() as session:
        found = await session.scalar(select(Person.id).where(Person.nip == nip))
        assert found is not None
        return found
