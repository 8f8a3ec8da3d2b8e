"""Webhook mode of the fake server: updates POSTed to the bot's URL, with the secret header.

After setWebhook, queued updates are no longer fetched by getUpdates (it answers 409 as
Telegram does) but posted one at a time, in order, to the webhook URL with the header
X-Telegram-Bot-Api-Secret-Token; an answer other than 2xx is recorded as the webhook's last
error and the same update is posted again after ``retry_delay``. Telegram may post up to
max_connections updates at once; posting one at a time is a stricter order, never a looser
one. Telegram only posts to https; a test's bot listens on plain http, so ``forward_to``
plays the TLS-terminating proxy in front of it: the URL's scheme, host and port are replaced
by it, the path and query kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp

from fakegram.errors import bad_request

if TYPE_CHECKING:
    from fakegram.server import FakeTelegram

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PORTS = frozenset({80, 88, 443, 8443})
POST_TIMEOUT_S = 10.0


@dataclass
class Webhook:
    """What setWebhook registered, and how delivery went."""

    url: str
    secret_token: str | None
    max_connections: int
    ip_address: str | None = None
    has_custom_certificate: bool = False
    last_error_date: int | None = None
    last_error_message: str | None = None

    def info(self, pending: int, allowed_updates: list[str] | None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "url": self.url,
            "has_custom_certificate": self.has_custom_certificate,
            "pending_update_count": pending,
            "max_connections": self.max_connections,
        }
        if self.ip_address:
            out["ip_address"] = self.ip_address
        if allowed_updates:
            out["allowed_updates"] = list(allowed_updates)
        if self.last_error_date is not None:
            out["last_error_date"] = self.last_error_date
            out["last_error_message"] = self.last_error_message
        return out


@dataclass(frozen=True)
class WebhookPost:
    """One POST of an update to the webhook: the answer's status (0: no answer at all)."""

    update_id: int
    url: str
    status: int
    error: str | None
    at: float

    @property
    def ok(self) -> bool:
        return self.error is None


def check_webhook(params: dict[str, Any]) -> Webhook:
    """The webhook setWebhook asks for, refused the way Telegram refuses it."""
    url = str(params["url"])
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    try:
        port = parts.port or 443
    except ValueError:
        raise bad_request("bad webhook: Failed to resolve host: Invalid port") from None
    if port not in WEBHOOK_PORTS:
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
    max_connections = int(params.get("max_connections", 40))
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    secret = params.get("secret_token")
    if secret is not None:
        secret = str(secret)
        allowed = all(c.isascii() and (c.isalnum() or c in "_-") for c in secret)
        if not 1 <= len(secret) <= 256 or not allowed:
            raise bad_request("secret token contains unallowed characters")
    return Webhook(
        url=url,
        secret_token=secret,
        max_connections=max_connections,
        ip_address=params.get("ip_address"),
        has_custom_certificate="certificate" in params,
    )


class WebhookDelivery:
    """The task posting queued updates to the registered webhook, until it is deleted."""

    def __init__(self, server: FakeTelegram) -> None:
        self.server = server
        self._task: asyncio.Task[None] | None = None

    def ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="fakegram-webhook"
            )

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def target(self, url: str) -> str:
        forward = self.server.webhook_forward
        if forward is None:
            return url
        parts = urlsplit(url)
        query = f"?{parts.query}" if parts.query else ""
        return f"{forward.rstrip('/')}{parts.path or '/'}{query}"

    async def _run(self) -> None:
        server = self.server
        timeout = aiohttp.ClientTimeout(total=POST_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while server.webhook is not None and not server._closing:
                if not server._updates:
                    await server._tick.wait()
                    continue
                await self._post_first(http, server.webhook)

    async def _post_first(self, http: aiohttp.ClientSession, hook: Webhook) -> None:
        server = self.server
        update = server._updates[0]
        url = self.target(hook.url)
        headers = {"Content-Type": "application/json"}
        if hook.secret_token is not None:
            headers[SECRET_HEADER] = hook.secret_token
        error: str | None = None
        try:
            async with http.post(url, data=json.dumps(update), headers=headers) as response:
                status = response.status
                await response.read()
                if not 200 <= status < 300:
                    error = f"Wrong response from the webhook: {status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            status, error = 0, f"Connection failed: {type(exc).__name__}"
        server.webhook_posts.append(
            WebhookPost(update["update_id"], url, status, error, at=server.clock())
        )
        if error is None:
            if server._updates and server._updates[0]["update_id"] == update["update_id"]:
                server._updates.pop(0)
            server.delivered_update_id = max(server.delivered_update_id, update["update_id"])
            server.confirmed_update_id = max(server.confirmed_update_id, update["update_id"])
            server._notify()
            return
        hook.last_error_date = int(time.time())
        hook.last_error_message = error
        server._notify()
        await asyncio.sleep(server.webhook_retry_delay)
