"""Webhooks of the fake WhatsApp Cloud API: Meta's envelope, the signature, delivery and the
GET verification handshake.

Every POST carries ``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body with the app
secret>``. Posts go one at a time, in order; an answer other than 2xx is recorded and the same
body posted again after ``retry_delay`` (Meta retries for days; it may also deliver a webhook
twice, which ``FakeWhatsApp.repeat_webhook`` plays).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp

from fakewa.records import WebhookPost

if TYPE_CHECKING:
    from fakewa.server import FakeWhatsApp

SIGNATURE_HEADER = "X-Hub-Signature-256"
POST_TIMEOUT_S = 10.0


def sign(app_secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 value Meta sends with a body."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def envelope(server: FakeWhatsApp, value: dict[str, Any]) -> dict[str, Any]:
    """A change of the ``messages`` field in Meta's webhook envelope."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": server.waba_id,
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": server.display_phone_number,
                                "phone_number_id": server.phone_number_id,
                            },
                            **value,
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


@dataclass(frozen=True)
class Verification:
    """How the bot answered the GET verification handshake."""

    status: int
    body: str
    challenge: str

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.body == self.challenge


async def verify(url: str, verify_token: str, *, mode: str = "subscribe") -> Verification:
    """Play Meta's handshake: GET url?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…;
    a bot passes by answering 200 with the challenge as the body."""
    challenge = str(secrets.randbelow(10**9))
    params = {"hub.mode": mode, "hub.verify_token": verify_token, "hub.challenge": challenge}
    timeout = aiohttp.ClientTimeout(total=POST_TIMEOUT_S)
    async with (
        aiohttp.ClientSession(timeout=timeout) as http,
        http.get(url, params=params) as response,
    ):
        return Verification(response.status, await response.text(), challenge)


@dataclass
class Pending:
    kind: str
    body: bytes


class WebhookDelivery:
    """The task posting queued webhooks to the registered URL, in order."""

    def __init__(self, server: FakeWhatsApp) -> None:
        self.server = server
        self.queue: list[Pending] = []
        self._task: asyncio.Task[None] | None = None

    def ensure_running(self) -> None:
        if self.server.webhook_url is None:
            return
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="fakewa-webhook")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        server = self.server
        timeout = aiohttp.ClientTimeout(total=POST_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while server.webhook_url is not None and not server._closing:
                if not self.queue:
                    await server._tick.wait()
                    continue
                await self._post_first(http, server.webhook_url)

    async def _post_first(self, http: aiohttp.ClientSession, url: str) -> None:
        server = self.server
        pending = self.queue[0]
        signature = sign(server.app_secret, pending.body)
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature}
        error: str | None = None
        try:
            async with http.post(url, data=pending.body, headers=headers) as response:
                status = response.status
                await response.read()
                if not 200 <= status < 300:
                    error = f"{status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            status, error = 0, f"Connection failed: {type(exc).__name__}"
        server.webhook_posts.append(
            WebhookPost(
                kind=pending.kind,
                body=pending.body,
                signature=signature,
                url=url,
                status=status,
                error=error,
                at=server.clock(),
            )
        )
        if error is None:
            if self.queue and self.queue[0] is pending:
                self.queue.pop(0)
            server._notify()
            return
        server._notify()
        await asyncio.sleep(server.webhook_retry_delay)


def encode(payload: dict[str, Any]) -> bytes:
    """The raw body Meta posts (compact JSON, UTF-8); the signature is over exactly these bytes."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
