"""The web desk as a browser sees it over HTTP (httpx on the ASGI app): the desk's app on the
bot's database, clock and evidence store; one cookie jar per person; sign-in by the link that
/dasbor sends in the chat. Shared by the test_web_desk* modules."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.harness import RunningBot
from bot.settings import Settings
from domain.clock import ManualClock
from handlers.runtime import Runtime
from models import AuditEntry
from models.db import session_factory
from tests.conftest import ADMIN_ID
from tests.integration.helpers import say, text
from web.app import create_web_app
from web.desk import DeskConfig

BASE_URL = "https://desk.example.go.id"
SECRET = "s" * 40
# The bot's WhatsApp business number: invitations give wa.me links too.
BUSINESS_NUMBER = "+6281110002000"
LINK = re.compile(r"https://desk\.example\.go\.id/dasbor/masuk\?token=([A-Za-z0-9_-]+)")


@pytest.fixture(name="settings")
def desk_settings(tmp_path: Path) -> Settings:
    return Settings(
        admin_telegram_ids=frozenset({ADMIN_ID}),
        evidence_dir=tmp_path / "evidence",
        web_base_url=BASE_URL,
        web_session_secret=SECRET,
        whatsapp_phone_number=BUSINESS_NUMBER,
    )


@pytest.fixture(name="desk_app")
def desk_app_fixture(
    bot: RunningBot,
    engine: AsyncEngine,
    clock: ManualClock,
    settings: Settings,
) -> Any:
    """The web app with the desk, on the bot's database, clock and evidence store;
    `app.state.sender_wakes` has one entry per time the desk woke the sender."""
    sender_wakes: list[str] = []
    config = DeskConfig(
        base_url=BASE_URL,
        secret=SECRET,
        admin_accounts=settings.admin_accounts,
        default_language="id",
        default_zone=settings.default_timezone,
        evidence_store=Runtime.of(bot.app).evidence_store,
        clock=clock,
        bot_username=lambda: "properbot_test_bot",
        whatsapp_number=settings.whatsapp_phone_number,
        wake_sender=lambda: sender_wakes.append("woken"),
    )
    app = create_web_app(engine, desk=config)
    app.state.sender_wakes = sender_wakes
    return app


class Browser:
    """One person's browser: its own cookie jar."""

    def __init__(self, app: Any) -> None:
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=BASE_URL, follow_redirects=False
        )

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.post(path, **kwargs)

    async def csrf(self) -> str:
        page = await self.get("/dasbor/")
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
        assert found is not None, page.text
        return found.group(1)


@pytest.fixture(name="browsers")
async def browsers_fixture(desk_app: Any) -> AsyncIterator[Any]:
    opened: list[Browser] = []

    def open_browser() -> Browser:
        browser = Browser(desk_app)
        opened.append(browser)
        return browser

    yield open_browser
    for browser in opened:
        await browser.client.aclose()


async def link_for(bot: RunningBot, user: Any) -> str:
    reply = await say(bot, user, "/dasbor")
    found = LINK.search(reply.text)
    assert found is not None, reply.text
    return found.group(1)


async def sign_in(bot: RunningBot, user: Any, browser: Browser) -> httpx.Response:
    token = await link_for(bot, user)
    page = await browser.get("/dasbor/masuk", params={"token": token})
    assert page.status_code == 200 and text("web.login.button") in page.text
    return await browser.post("/dasbor/masuk", data={"token": token})


async def audits(engine: AsyncEngine, action: str) -> list[AuditEntry]:
    async with session_factory(engine)() as session:
        return list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )
