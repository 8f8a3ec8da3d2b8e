"""`properbot run`: the bot and its web server in one event loop, by polling or by webhook."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.ext import Application

from bot.app import WhatsAppOnly, build_application
from bot.settings import Settings
from bot.worker import (
    ActiveWorker,
    InboxReceiver,
    PollingFeed,
    PostgresAdvisoryLock,
    Receiving,
    SingleInstance,
    TelegramWorkerApp,
    WorkerApp,
    WorkerLock,
    WorkerStatus,
    instance_name,
)
from domain.clock import Clock, SystemClock
from models.db import create_engine, session_factory
from storage.evidence_store import EvidenceStore, open_store
from web.app import create_web_app
from web.desk import DeskConfig
from web.health import Readiness
from web.server import WebServer
from web.telegram_webhook import Accept, TelegramWebhook
from whatsapp.webhook import WhatsAppWebhook, inbox_store

log = logging.getLogger(__name__)

# The update kinds the handlers use; Telegram then sends nothing else, by polling or webhook.
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def queue_update(app: Application) -> Accept:  # type: ignore[type-arg]
    """For an Application driven in-process (tests): a verified post straight into its update
    queue. `properbot run` stores posts in the inbox instead (instance_web_app)."""

    async def accept(data: dict[str, Any]) -> None:
        await app.update_queue.put(Update.de_json(data, app.bot))

    return accept


def web_app_for(app: Application, settings: Settings, engine: AsyncEngine) -> Any:  # type: ignore[type-arg]
    """The ASGI app for this bot: health, readiness, metrics, and the webhook when set."""
    webhook = None
    if settings.webhook_path is not None and settings.telegram_webhook_secret is not None:
        webhook = TelegramWebhook(
            path=settings.webhook_path,
            secret=settings.telegram_webhook_secret,
            accept=queue_update(app),
        )
    return create_web_app(engine, telegram_webhook=webhook)


def desk_config(
    settings: Settings,
    *,
    clock: Clock,
    evidence_store: EvidenceStore,
    wake_sender: Callable[[], None] = lambda: None,
) -> DeskConfig | None:
    """The web desk's settings; None (no /dasbor pages) until WEB_BASE_URL is set."""
    if settings.web_base_url is None or settings.web_session_secret is None:
        return None
    return DeskConfig(
        base_url=settings.web_base_url,
        secret=settings.web_session_secret,
        admin_accounts=settings.admin_accounts,
        default_language=settings.default_language,
        default_zone=settings.default_timezone,
        evidence_store=evidence_store,
        clock=clock,
        bot_username=lambda: settings.telegram_bot_username,
        whatsapp_number=settings.whatsapp_phone_number,
        wake_sender=wake_sender,
    )


async def serve(
    settings: Settings,
    sock: socket.socket,
    *,
    stop: asyncio.Event | None = None,
    clock: Clock | None = None,
    built: Callable[[Application], None] | None = None,  # type: ignore[type-arg]
) -> None:
    """Run until SIGINT or SIGTERM (or `stop`): serve the web app and store updates in the
    inbox at once; handle them, send and sweep while this instance is the active worker.
    Telegram, WhatsApp or both, as set up (settings.require_channel).

    Stopping goes in the reverse order: no new webhook posts, then the updates already started
    finish, then the worker lets go of its lock. `clock` and `built` (told of each application
    the worker builds) are for tests running an instance in process."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    clock = clock or SystemClock()
    receiver = InboxReceiver(sessions, clock)
    status = WorkerStatus(
        instance=settings.instance_name or instance_name(),
        check_every=settings.worker_lock_check_s,
        clock=clock,
    )

    def build() -> WorkerApp:
        if not settings.telegram_bot_token:
            return WhatsAppOnly(settings, engine, clock)
        app = build_application(settings, engine=engine, clock=clock)
        if built is not None:
            built(app)
        return TelegramWorkerApp(app)

    worker = ActiveWorker(
        build=build,
        lock=worker_lock(engine, settings),
        sessions=sessions,
        receiver=receiver,
        status=status,
        concurrency=settings.update_concurrency,
        grace=takeover_grace(engine, settings.worker_lock_check_s),
        receiving=receiving_for(settings, receiver),
        clock=clock,
    )
    web = WebServer(
        instance_web_app(
            settings, engine, receiver, status, wake_sender=worker.wake_sender, clock=clock
        ),
        sock,
    )
    try:
        await web.start()
        working = asyncio.create_task(worker.run(stop), name="properbot-worker")
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({working, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stop.set()
        # No new webhook posts first; then the worker finishes the updates it started.
        await web.stop()
        stopped.cancel()
        await working
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
        await web.stop()
        sock.close()
        await engine.dispose()


def worker_lock(engine: AsyncEngine, settings: Settings) -> WorkerLock:
    """An advisory lock on PostgreSQL; on SQLite the lock file already made this the only one."""
    if engine.dialect.name == "postgresql":
        return PostgresAdvisoryLock(
            engine,
            timeout=settings.worker_lock_check_s,
            keepalive_s=settings.worker_lock_check_s,
        )
    return SingleInstance()


def takeover_grace(engine: AsyncEngine, check_every: float) -> float:
    """How long a new lock holder waits before acting: longer than the previous holder's
    check and its timeout, so a holder that lost its connection has stopped by then. SQLite
    has no previous holder (one instance), so nothing to wait for."""
    if engine.dialect.name != "postgresql":
        return 0
    return 2 * check_every + 1


def instance_web_app(
    settings: Settings,
    engine: AsyncEngine,
    receiver: InboxReceiver,
    status: WorkerStatus,
    wake_sender: Callable[[], None] = lambda: None,
    clock: Clock | None = None,
) -> Any:
    """The ASGI app of an instance: the webhook stores into the inbox before answering."""
    clock = clock or SystemClock()
    webhook = None
    if settings.webhook_path is not None and settings.telegram_webhook_secret is not None:
        webhook = TelegramWebhook(
            path=settings.webhook_path,
            secret=settings.telegram_webhook_secret,
            accept=receiver.accept,
        )
    readiness = Readiness(engine, worker=status.problem)
    desk = desk_config(
        settings,
        clock=clock,
        evidence_store=open_store(settings.evidence_dir),
        wake_sender=wake_sender,
    )
    return create_web_app(
        engine,
        telegram_webhook=webhook,
        readiness=readiness,
        desk=desk,
        whatsapp_webhook=whatsapp_webhook_for(
            settings, engine, wake=receiver.arrived.set, clock=clock
        ),
    )


def whatsapp_webhook_for(
    settings: Settings,
    engine: AsyncEngine,
    *,
    wake: Callable[[], None] | None = None,
    clock: Clock | None = None,
) -> WhatsAppWebhook | None:
    """WhatsApp's webhook, storing into the inbox, when WhatsApp is set up; `wake`: the worker
    of this process (an instance without one is found by the active worker's next look)."""
    if settings.whatsapp is None:
        return None
    store = inbox_store(session_factory(engine), clock or SystemClock(), wake)
    return WhatsAppWebhook.from_settings(settings.whatsapp, store)


class WebhookRegistration:
    """Webhook mode: the active worker registers the webhook (every instance serves it)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def start(self, app: Application) -> None:  # type: ignore[type-arg]
        await receive_updates(app, self._settings)

    async def stop(self) -> None:
        """The webhook stays: the next worker, or this one restarted, receives through it."""


def receiving_for(settings: Settings, receiver: InboxReceiver) -> Receiving:
    if settings.telegram_webhook_url is None:
        return PollingFeed(receiver, ALLOWED_UPDATES)
    return WebhookRegistration(settings)


async def receive_updates(app: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    """Start long polling, or register the webhook with Telegram (its secret, the update kinds
    and the connection limit); the web server must already be listening for the webhook."""
    if settings.telegram_webhook_url is None:
        # start_polling deletes any webhook first, so switching back to polling just works.
        assert app.updater is not None
        await app.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        log.info("receiving updates by long polling")
        return
    await app.bot.set_webhook(
        settings.telegram_webhook_url,
        secret_token=settings.telegram_webhook_secret,
        allowed_updates=ALLOWED_UPDATES,
        max_connections=settings.telegram_webhook_max_connections,
    )
    log.info(
        "receiving updates by webhook on %s",
        settings.webhook_path,
        extra={"max_connections": settings.telegram_webhook_max_connections},
    )
