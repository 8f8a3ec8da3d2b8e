"""WhatsApp's webhook: Meta's GET handshake, and signed POSTs stored in the inbox before the 200.

A POST is read whole (up to a limit), its X-Hub-Signature-256 checked against the raw bytes
with the app secret, and only then parsed; every message and status it carries is stored in
one transaction, keyed by Meta's ids, so a post Meta retries is stored once. Handling happens
after the answer, in the active worker, which the store wakes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from bot.settings import WhatsAppSettings
from domain.clock import Clock
from domain.enums import Channel
from services import inbox
from services.inbox import InboxEntry
from web.metrics import WEBHOOK_REFUSED
from whatsapp.inbound import parse

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
SIGNATURE_PREFIX = "sha256="
# Meta's posts stay under 3 MB; anything larger is not Meta's and is not read further.
MAX_BODY_BYTES = 4 * 1024 * 1024
# Meta's challenge is a number; a longer one is not echoed.
MAX_CHALLENGE = 128

# Stores a post's entries in one committed transaction; how many were new.
Store = Callable[[Sequence[InboxEntry]], Awaitable[int]]


def inbox_store(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, wake: Callable[[], None] | None
) -> Store:
    """The store of `properbot run` and `properbot web`: the inbox, then the worker woken
    (when it runs in this process) if anything was new."""

    async def store(entries: Sequence[InboxEntry]) -> int:
        async with sessions() as session, session.begin():
            new = await inbox.store_entries(session, Channel.WHATSAPP.value, entries, clock.now())
        if new and wake is not None:
            wake()
        return new

    return store


def signature_of(app_secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 value Meta sends with `body`."""
    return SIGNATURE_PREFIX + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class WhatsAppWebhook:
    """Where Meta posts (WHATSAPP_WEBHOOK_PATH), for which number, its secrets and the store."""

    path: str
    phone_number_id: str
    app_secret: str = field(repr=False)
    verify_token: str = field(repr=False)
    store: Store = field(repr=False)
    max_body: int = MAX_BODY_BYTES

    @classmethod
    def from_settings(cls, settings: WhatsAppSettings, store: Store) -> WhatsAppWebhook:
        return cls(
            path=settings.webhook_path,
            phone_number_id=settings.phone_number_id,
            app_secret=settings.app_secret,
            verify_token=settings.verify_token,
            store=store,
        )

    async def verify(self, request: Request) -> Response:
        """Meta's handshake when the callback URL is registered: the challenge back as text
        when the mode is subscribe and the verify token matches; 403 otherwise."""
        query = request.query_params
        given = query.get("hub.verify_token", "").encode()
        # Constant time: how much of a guess was right must not show in the answer's timing.
        token_ok = hmac.compare_digest(given, self.verify_token.encode())
        challenge = query.get("hub.challenge", "")
        if query.get("hub.mode") != "subscribe" or not token_ok:
            WEBHOOK_REFUSED.labels("verify_token").inc()
            log.warning("whatsapp webhook handshake refused: %s", "wrong mode or verify token")
            return PlainTextResponse("Forbidden", status_code=403)
        if not challenge or len(challenge) > MAX_CHALLENGE:
            return PlainTextResponse("no challenge", status_code=400)
        log.info("whatsapp webhook handshake answered")
        return PlainTextResponse(challenge)

    async def receive(self, request: Request) -> Response:
        """Refuse a post too large (413) or not signed with the app secret (401) unread; store
        what a signed one carries, then answer 200."""
        body = await _read_limited(request, self.max_body)
        if body is None:
            WEBHOOK_REFUSED.labels("too_large").inc()
            log.warning("whatsapp webhook post refused: larger than %d bytes", self.max_body)
            return JSONResponse({"ok": False, "reason": "too_large"}, status_code=413)
        given = request.headers.get(SIGNATURE_HEADER, "").encode()
        expected = signature_of(self.app_secret, body).encode()
        if not hmac.compare_digest(given, expected):
            WEBHOOK_REFUSED.labels("signature").inc()
            log.warning(
                "whatsapp webhook post refused: %s signature",
                "wrong" if given else "no",
                extra={"client": request.client.host if request.client else None},
            )
            return JSONResponse({"ok": False, "reason": "unauthorized"}, status_code=401)
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            WEBHOOK_REFUSED.labels("malformed").inc()
            log.warning("whatsapp webhook post refused: signed, but not a JSON object")
            return JSONResponse({"ok": False, "reason": "malformed"}, status_code=400)
        parsed = parse(data, self.phone_number_id)
        for problem in parsed.problems:
            # Ids of numbers and codes only: never a message's content or a person's number.
            log.warning("whatsapp webhook: %s left out (%s)", problem.what, problem.detail)
        try:
            new = await self.store(parsed.entries)
        except (SQLAlchemyError, OSError):
            # Not stored, so not answered 200: Meta posts it again later.
            log.exception("whatsapp webhook post could not be stored; Meta will retry")
            return JSONResponse({"ok": False, "reason": "unavailable"}, status_code=503)
        if new < len(parsed.entries):
            log.info(
                "whatsapp webhook: %d of %d already in the inbox (a retried post)",
                len(parsed.entries) - new,
                len(parsed.entries),
            )
        return Response(status_code=200)


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The raw body, or None once it passes `limit` (stops reading there)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
