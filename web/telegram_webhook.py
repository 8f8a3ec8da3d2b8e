"""Telegram's webhook: a POST with the secret header, handed on only when the secret matches."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from web.metrics import WEBHOOK_REFUSED

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

# Queues one update (the decoded JSON) for handling; the composition root builds it.
Accept = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class TelegramWebhook:
    """Where Telegram posts (the path of TELEGRAM_WEBHOOK_URL), its secret and the queue."""

    path: str
    secret: str = field(repr=False)
    accept: Accept = field(repr=False)

    async def receive(self, request: Request) -> Response:
        """Refuse (401) unless the secret header matches, then queue the update and answer 200
        at once: handling it takes its own time and must not hold Telegram's connection."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        # Constant time: how much of a guess was right must not show in the answer's timing.
        if not hmac.compare_digest(given, self.secret.encode()):
            WEBHOOK_REFUSED.labels("secret").inc()
            log.warning(
                "webhook post refused: %s secret header",
                "wrong" if given else "no",
                extra={"client": request.client.host if request.client else None},
            )
            return JSONResponse({"ok": False, "reason": "unauthorized"}, status_code=401)
        try:
            data = await request.json()
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            WEBHOOK_REFUSED.labels("malformed").inc()
            log.warning("webhook post refused: not an update")
            return JSONResponse({"ok": False, "reason": "not_an_update"}, status_code=400)
        await self.accept(data)
        return Response(status_code=200)
