"""Fixtures for the fakewa tests: a started fake Cloud API, a webhook receiver, raw HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from domain.clock import ManualClock
from fakewa import SIGNATURE_HEADER, FakePerson, FakeWhatsApp

VERIFY_TOKEN = "verify-me"
BUDI = "6281234567890"
SITI = "6285711112222"

Raw = Callable[..., Awaitable[tuple[int, dict[str, Any]]]]


@dataclass
class Receiver:
    """The bot's webhook endpoint: answers the handshake, records each POST with its header."""

    status: int = 200
    posts: list[tuple[bytes, str | None]] = field(default_factory=list)
    url: str = ""

    async def challenge(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("hub.mode") == "subscribe" and q.get("hub.verify_token") == VERIFY_TOKEN:
            return web.Response(text=q.get("hub.challenge", ""))
        return web.Response(status=403, text="Forbidden")

    async def post(self, request: web.Request) -> web.Response:
        self.posts.append((await request.read(), request.headers.get(SIGNATURE_HEADER)))
        return web.Response(status=self.status, text="ok")

    @property
    def accepted(self) -> list[bytes]:
        """Bodies of the posts answered 2xx (all of them while status is 200)."""
        return [body for body, _ in self.posts]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def wa(clock: ManualClock) -> AsyncIterator[FakeWhatsApp]:
    async with FakeWhatsApp(clock=clock) as fake:
        fake.webhook_retry_delay = 0.01
        yield fake


@pytest.fixture
async def receiver(wa: FakeWhatsApp) -> AsyncIterator[Receiver]:
    found = Receiver()
    app = web.Application()
    app.router.add_get("/whatsapp", found.challenge)
    app.router.add_post("/whatsapp", found.post)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    found.url = f"http://127.0.0.1:{runner.addresses[0][1]}/whatsapp"
    yield found
    await wa.remove_webhook()
    await runner.cleanup()


@pytest.fixture
def budi(wa: FakeWhatsApp) -> FakePerson:
    return wa.person(BUDI, "Budi Santoso")


@pytest.fixture
async def raw(wa: FakeWhatsApp) -> AsyncIterator[Raw]:
    """Call the fake without pywa: raw(path, http="POST", token=..., **aiohttp kwargs);
    a path without a leading slash goes under the versioned root."""
    async with aiohttp.ClientSession() as session:

        async def call(
            path: str, *, http: str = "POST", token: str | None = None, **kwargs: Any
        ) -> tuple[int, dict[str, Any]]:
            url = path if path.startswith("http") else f"{wa.base_url}/{path}"
            headers = {"Authorization": f"Bearer {token or wa.access_token}"}
            async with session.request(http, url, headers=headers, **kwargs) as response:
                return response.status, await response.json()

        yield call


def text_message(to: str = BUDI, body: str = "Halo", **extra: Any) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"body": body},
        **extra,
    }


def buttons_message(titles: list[str], to: str = BUDI) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "to": to,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Pilih satu"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": f"b{i}", "title": t}}
                    for i, t in enumerate(titles)
                ]
            },
        },
    }


def list_message(
    rows: list[str], to: str = BUDI, *, button: str = "Menu", per_section: int = 10
) -> dict[str, Any]:
    sections = []
    for start in range(0, len(rows), per_section):
        chunk = rows[start : start + per_section]
        sections.append(
            {
                "title": f"Bagian {start // per_section + 1}",
                "rows": [{"id": f"r{start + i}", "title": t} for i, t in enumerate(chunk)],
            }
        )
    return {
        "messaging_product": "whatsapp",
        "to": to,
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "Menu utama"},
            "action": {"button": button, "sections": sections},
        },
    }
