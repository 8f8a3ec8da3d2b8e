"""Helpers shared by the fakegram tests: raw HTTP calls, refused-call lookup, a polling app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from telegram.ext import Application, BaseHandler

from fakegram import FakeTelegram

TOKEN = "123456:TEST-TOKEN"

RawCall = Callable[..., Awaitable[tuple[int, dict[str, Any]]]]


def last_error(server: FakeTelegram) -> str:
    """Telegram's description of the newest refused call (PTB re-capitalizes its copy)."""
    assert server.errors, "no call was refused"
    description = server.errors[-1].description
    assert description is not None
    return description


@asynccontextmanager
async def polling_app(
    server: FakeTelegram, *handlers: BaseHandler[Any, Any, Any]
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """A real PTB Application with ``handlers``, long polling the fake server."""
    app = (
        Application.builder()
        .token(server.token)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .build()
    )
    for handler in handlers:
        app.add_handler(handler)
    async with app:
        assert app.updater is not None
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=5)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
