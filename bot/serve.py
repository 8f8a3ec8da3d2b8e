"""`properbot run`: the bot and its web server in one event loop, by polling or by webhook."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.settings import Settings
from models.db import create_engine
from web.app import create_web_app
from web.server import WebServer
from web.telegram_webhook import Accept, TelegramWebhook

log = logging.getLogger(__name__)

# The update kinds the handlers use; Telegram then sends nothing else, by polling or webhook.
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def queue_update(app: Application) -> Accept:  # type: ignore[type-arg]
    """What the webhook does with a verified post: into the Application's update queue, like
    an update fetched by polling, and handled the same way."""

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


async def serve(
    settings: Settings,
    sock: socket.socket,
    *,
    stop: asyncio.Event | None = None,
) -> None:
    """Run until SIGINT or SIGTERM (or `stop`): start the bot, the web server, then polling or
    the webhook; stop them in the reverse order, finishing the updates already received."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    engine = create_engine(settings.database_url)
    app = build_application(settings, engine=engine)
    web = WebServer(web_app_for(app, settings, engine), sock)
    try:
        await app.initialize()
        try:
            if app.post_init is not None:
                await app.post_init(app)
            await app.start()
            await web.start()
            await receive_updates(app, settings)
            await stop.wait()
        finally:
            # No new webhook posts first; then the updates already queued are handled.
            await web.stop()
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
                if app.post_stop is not None:
                    await app.post_stop(app)
            await app.shutdown()
            if app.post_shutdown is not None:
                await app.post_shutdown(app)
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
        sock.close()
        await engine.dispose()


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
