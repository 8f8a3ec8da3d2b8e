"""The demo's WhatsApp side: the fake Cloud API, its webhook into the inbox, the WhatsApp rows
handed to the adapter as the active worker does, and the story of a mixed cohort."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram.ext import Application

from bot.processor import Lane, PerUserUpdateProcessor
from bot.serve import whatsapp_webhook_for
from bot.settings import Settings, WhatsAppSettings
from bot.worker import handle_row
from domain.clock import Clock
from domain.enums import Channel, Horizon
from domain.i18n import format_datetime
from domain.roles import Role
from domain.timezones import WIB
from fakewa import FakeWhatsApp
from models import ChannelAccount, Person
from models.db import session_factory
from services import inbox
from services.projects import add_milestone
from web.app import create_web_app
from web.server import WebServer, bind
from whatsapp.dispatch import whatsapp_work
from whatsapp.templates import definitions

if TYPE_CHECKING:
    from bot.demo import Actor, Transcript

VERIFY_TOKEN = "properbot-demo"
RIDWAN_WA_ID = "6281277778888"


def approve_templates(wa: FakeWhatsApp) -> None:
    """The bot's templates, approved on the fake account as `properbot whatsapp templates`
    submits them."""
    for template in definitions():
        body, *rest = template["components"]
        buttons = [b["text"] for c in rest for b in c["buttons"]]
        wa.add_template(
            template["name"], body["text"], language=template["language"], buttons=buttons
        )


def whatsapp_settings(wa: FakeWhatsApp, verify_token: str = VERIFY_TOKEN) -> WhatsAppSettings:
    """WHATSAPP_* as they would be set for the fake server (WHATSAPP_API_ROOT its root)."""
    return WhatsAppSettings(
        phone_number_id=wa.phone_number_id,
        access_token=wa.access_token,
        app_secret=wa.app_secret,
        verify_token=verify_token,
        business_account_id=wa.waba_id,
        api_root=wa.api_root,
    )


@dataclass
class WhatsAppFront:
    """fakewa posts to the webhook, which stores into the inbox; each row goes to the adapter
    in its lane, as bot/worker.py's ActiveWorker hands it (the bot itself polls Telegram)."""

    wa: FakeWhatsApp
    sessions: async_sessionmaker[AsyncSession]
    processor: PerUserUpdateProcessor = field(default_factory=lambda: PerUserUpdateProcessor(8))
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def settle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Until every webhook is stored and every stored row handled."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            await self.wa.wait_delivered(timeout)
            await self.processor.wait_idle()
            async with self.sessions() as session:
                left = await inbox.depth(session)
            if not left[inbox.PENDING] and not self.wa.pending_webhooks:
                return
            if loop.time() > deadline:
                raise TimeoutError(f"WhatsApp updates not handled: {left}")
            await asyncio.sleep(0.02)

    async def work(
        self,
        bot_data: Callable[[], MutableMapping[str, Any]],
        clock: Clock,
        stop: asyncio.Event,
    ) -> None:
        """bot/worker.py's dispatch loop for WhatsApp rows only; `bot_data` is read per row
        (the application's, where the WhatsApp runtime is installed)."""
        last_id = 0
        tasks: set[asyncio.Task[None]] = set()
        while not stop.is_set():
            self.arrived.clear()
            async with self.sessions() as session:
                rows = await inbox.pending(session, after_id=last_id, limit=200)
            for row in rows:
                last_id = row.id
                work = handle_row(self.sessions, clock, row, whatsapp_work(bot_data(), row))
                task = asyncio.create_task(self.processor.do_process_update(Lane(row.lane), work))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), 0.2)
        await asyncio.gather(*tasks, return_exceptions=True)


@contextlib.asynccontextmanager
async def whatsapp_front(
    app: Application,  # type: ignore[type-arg]
    settings: Settings,
    wa: FakeWhatsApp,
    engine: AsyncEngine,
    clock: Clock,
) -> AsyncIterator[WhatsAppFront]:
    """The webhook on a local web server registered with fakewa, and the rows' worker."""
    assert settings.whatsapp is not None
    front = WhatsAppFront(wa, session_factory(engine))
    webhook = whatsapp_webhook_for(settings, engine, wake=front.arrived.set, clock=clock)
    sock = bind("127.0.0.1", 0)
    server = WebServer(create_web_app(engine, whatsapp_webhook=webhook), sock)
    await server.start()
    stop = asyncio.Event()
    worker = asyncio.create_task(front.work(lambda: app.bot_data, clock, stop))
    try:
        await wa.set_webhook(
            f"http://127.0.0.1:{server.port}{settings.whatsapp.webhook_path}",
            settings.whatsapp.verify_token,
        )
        yield front
    finally:
        stop.set()
        await worker
        await wa.remove_webhook()
        await server.stop()
        sock.close()


async def whatsapp_story(
    tr: Transcript,
    wa: FakeWhatsApp,
    codes: dict[str, tuple[str, Role, str]],
    engine: Any,
    bambang: Actor,
    sri: Actor,
) -> None:
    """A participant on WhatsApp reports with a photo to his mentor on Telegram, who answers
    by reply; a day later his reminder goes as a template, the window having closed."""
    from bot.demo import Actor, ScenarioFailed, _find

    t = tr.t
    name, code = _find(codes, "Ir. H. Muhammad Ridwan")
    ridwan = Actor(
        f"{name} ({t(Role.PARTICIPANT.message_key)})",
        wa.person(RIDWAN_WA_ID, "Ridwan"),
        channel=Channel.WHATSAPP,
    )
    sessions = session_factory(engine)

    tr.step("Peserta bergabung lewat WhatsApp / a participant joins on WhatsApp")
    consent = await tr.say(ridwan, f"DAFTAR {code}")
    tr.expect(consent is not None and "Setuju" in consent.button_titles, "WhatsApp consent")
    await tr.press(ridwan, "Setuju", consent)
    async with sessions() as session:
        account = await session.scalar(
            select(ChannelAccount).where(
                ChannelAccount.channel == Channel.WHATSAPP,
                ChannelAccount.external_user_id == RIDWAN_WA_ID,
            )
        )
        if account is None:
            raise ScenarioFailed("consent on WhatsApp must bind the number")
        person = await session.get_one(Person, account.person_id)
        ridwan_id = person.id
    async with sessions() as session, session.begin():
        await add_milestone(
            session,
            ridwan_id,
            title="Uji coba aplikasi JALAN MULUS di 3 kabupaten",
            horizon=Horizon.SHORT,
            due_on=tr.clock.now().astimezone(WIB).date() + timedelta(days=30),
            expected_output="Laporan uji coba",
            today=tr.clock.now().astimezone(WIB).date(),
            now=tr.clock.now(),
        )

    tr.step("Laporan dengan foto dari WhatsApp / a report with a photo, from WhatsApp")
    chooser = await tr.say(ridwan, "LAPOR")
    tr.expect(chooser is not None and bool(chooser.row_titles), "the milestones as a list")
    await tr.press(ridwan, chooser.row_titles[0], chooser)
    await tr.say(ridwan, "Aplikasi JALAN MULUS diuji di Prabumulih: 41 laporan warga masuk.")
    await tr.press(ridwan, "Lewati")  # kendala
    await tr.press(ridwan, "Lewati")  # rencana berikutnya
    await tr.photo(ridwan, "Ruas jalan Prabumulih–Baturaja")
    await tr.press(ridwan, "Selesai")
    await tr.press(ridwan, "60%")
    receipt = await tr.press(ridwan, "Kirim")
    tr.expect(receipt is not None and "Laporan tersimpan" in (receipt.text or ""), "saved")
    relay = tr.catch_up(bambang)
    tr.expect(
        relay is not None and "JALAN MULUS" in (relay.plain or "") and bool(relay.button_texts),
        "the mentor on Telegram gets the report from WhatsApp",
    )
    tr.expect(
        any(m.kind == "photo" for m in bambang.user.inbox[-2:]),
        "the photo sent on WhatsApp reaches Telegram",
    )

    tr.step("Mentor di Telegram membalas ke WhatsApp / the Telegram mentor answers by reply")
    await tr.reply(bambang, relay, "Bagus. Mohon lampirkan peta ruas jalan yang dilaporkan.")
    note = tr.catch_up(ridwan)
    tr.expect(
        note is not None and note.template is None and "peta ruas jalan" in (note.text or ""),
        "the note reaches WhatsApp as a free-form message inside the window",
    )
    await tr.reply(ridwan, note, "Siap Pak, peta menyusul besok pagi.")
    answer = tr.catch_up(bambang)
    tr.expect(
        answer is not None and "peta menyusul" in (answer.plain or ""),
        "the answer from WhatsApp reaches the mentor on Telegram",
    )

    tr.step("Pengingat di luar jendela 24 jam / a reminder outside the 24-hour window")
    # The next 08.00 WIB at least 25 hours after Ridwan last wrote: a 7-day reminder then.
    day = (tr.clock.now() + timedelta(hours=25)).astimezone(WIB).date()
    morning = datetime.combine(day, time(8, 0), WIB).astimezone(UTC)
    if morning < tr.clock.now() + timedelta(hours=25):
        day += timedelta(days=1)
        morning = datetime.combine(day, time(8, 0), WIB).astimezone(UTC)
    async with sessions() as session, session.begin():
        await add_milestone(
            session,
            ridwan_id,
            title="Sosialisasi JALAN MULUS ke kecamatan",
            horizon=Horizon.SHORT,
            due_on=day + timedelta(days=7),
            expected_output="Daftar hadir sosialisasi",
            today=tr.clock.now().astimezone(WIB).date(),
            now=tr.clock.now(),
        )
    tr.clock.set(morning)
    print(t("demo.clock", now=format_datetime(tr.clock.now(), WIB, t.language)), file=tr.out)
    await tr.deliver(sweep=True)
    reminder = tr.catch_up(ridwan)
    tr.expect(
        reminder is not None
        and reminder.template == "properbot_reminder"
        and "Sosialisasi JALAN MULUS" in (reminder.text or ""),
        "outside the window the reminder goes as its approved template",
    )
    for someone in (sri, bambang):
        tr.catch_up(someone)
