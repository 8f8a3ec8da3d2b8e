"""`properbot web`: the web app alone (health, metrics and the organizer desk), without the bot,
for a desk served apart from the bot's worker."""

from __future__ import annotations

import argparse
import asyncio
import signal
import socket
import sys

from bot.settings import Settings
from domain.clock import SystemClock
from domain.i18n import Translator
from models.db import create_engine
from models.migrate import upgrade
from storage.evidence_store import open_store
from web.app import create_web_app
from web.desk import ROOT as DESK_ROOT
from web.desk import DeskConfig
from web.server import WebServer, bind

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class WebAddressError(Exception):
    """WEB_HOST:WEB_PORT cannot be bound; the message is ready to print."""


def add_parser(sub: argparse._SubParsersAction, t: Translator) -> None:  # type: ignore[type-arg]
    sub.add_parser("web", help=t("cli_help.web"), description=t("cli_help.web.description"))


def run(settings: Settings, t: Translator) -> int:
    """Migrate, bind WEB_HOST:WEB_PORT, then serve until SIGINT or SIGTERM."""
    from bot.serve import desk_config

    try:
        sock = bind(settings.web_host, settings.web_port)
    except OSError as exc:
        raise WebAddressError(
            t(
                "cli.error.web_address",
                host=settings.web_host,
                port=settings.web_port,
                reason=exc.strerror or str(exc),
            )
        ) from None
    desk = desk_config(
        settings, clock=SystemClock(), evidence_store=open_store(settings.evidence_dir)
    )
    port = sock.getsockname()[1]
    where = t("web.cli.desk", path=DESK_ROOT) if desk else t("web.cli.no_desk")
    print(t("web.cli.serving", host=settings.web_host, port=port, desk=where), file=sys.stderr)
    asyncio.run(_serve(settings, sock, desk))
    return 0


async def _serve(settings: Settings, sock: socket.socket, desk: DeskConfig | None) -> None:
    from bot.serve import whatsapp_webhook_for

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    engine = create_engine(settings.database_url)
    web = WebServer(
        create_web_app(engine, desk=desk, whatsapp_webhook=whatsapp_webhook_for(settings, engine)),
        sock,
    )
    try:
        await upgrade(engine)
        await web.start()
        await stop.wait()
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
        await web.stop()
        sock.close()
        await engine.dispose()
