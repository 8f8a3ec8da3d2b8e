"""The ASGI app: every route of the web server, registered here and nowhere else."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from web.desk import ROOT as DESK_ROOT
from web.desk import DeskConfig, create_desk
from web.health import Readiness
from web.metrics import CONTENT_TYPE, exposition, refresh_inbox, refresh_outbox
from web.telegram_webhook import TelegramWebhook
from whatsapp.webhook import WhatsAppWebhook

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"


def create_web_app(
    engine: AsyncEngine,
    *,
    telegram_webhook: TelegramWebhook | None = None,
    readiness: Readiness | None = None,
    desk: DeskConfig | None = None,
    whatsapp_webhook: WhatsAppWebhook | None = None,
) -> Starlette:
    """The routes: health, readiness, metrics, Telegram's webhook in webhook mode, WhatsApp's
    webhook when WhatsApp is set up, and the organizer web desk under /dasbor when it is."""
    ready = readiness or Readiness(engine)

    async def healthz(request: Request) -> Response:
        """The process is alive and its event loop answers."""
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        """200 when the database answers with the expected schema; 503 with the reason."""
        problem = await ready.check()
        if problem is not None:
            return JSONResponse(problem.as_json(), status_code=503)
        return JSONResponse({"status": "ready"})

    async def metrics(request: Request) -> Response:
        """Prometheus' text format; the delivery queue's depth is read at each scrape."""
        await refresh_outbox(engine)
        await refresh_inbox(engine)
        return Response(exposition(), media_type=CONTENT_TYPE)

    routes: list[BaseRoute] = [
        Route(HEALTH_PATH, healthz, methods=["GET"]),
        Route(READY_PATH, readyz, methods=["GET"]),
        Route(METRICS_PATH, metrics, methods=["GET"]),
    ]
    if telegram_webhook is not None:
        routes.append(Route(telegram_webhook.path, telegram_webhook.receive, methods=["POST"]))
    if whatsapp_webhook is not None:
        # One path: Meta's GET handshake, then its signed POSTs.
        routes.append(Route(whatsapp_webhook.path, whatsapp_webhook.verify, methods=["GET"]))
        routes.append(Route(whatsapp_webhook.path, whatsapp_webhook.receive, methods=["POST"]))
    if desk is not None:
        routes.append(Mount(DESK_ROOT, app=create_desk(engine, desk)))
    return Starlette(routes=routes)
