"""Webhook mode: setWebhook checked like Telegram, updates POSTed with the secret header."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import BadRequest, Conflict

from fakegram import SECRET_HEADER, FakeTelegram, FakeUser

URL = "https://bot.example.org/telegram/hook?from=tg"


@dataclass
class Receiver:
    """A plain-http endpoint standing in for the bot behind its TLS proxy."""

    status: int = 200
    posts: list[tuple[str, str | None, dict[str, Any]]] = field(default_factory=list)
    base: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.posts.append(
            (request.path_qs, request.headers.get(SECRET_HEADER), await request.json())
        )
        return web.Response(status=self.status)


@pytest.fixture
async def receiver(server: FakeTelegram) -> AsyncIterator[Receiver]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/{tail:.*}", found.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    found.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    server.webhook_forward = found.base
    server.webhook_retry_delay = 0.01
    yield found
    await runner.cleanup()


async def test_updates_are_posted_in_order_with_the_secret(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot, receiver: Receiver
) -> None:
    assert await ptb_bot.set_webhook(
        URL, secret_token="abc_DEF-123", max_connections=5, allowed_updates=["message"]
    )
    alice.send("satu")
    alice.send("dua")
    await server.wait_idle()
    assert [(p, s, u["message"]["text"]) for p, s, u in receiver.posts] == [
        ("/telegram/hook?from=tg", "abc_DEF-123", "satu"),
        ("/telegram/hook?from=tg", "abc_DEF-123", "dua"),
    ]
    info = await ptb_bot.get_webhook_info()
    assert (info.url, info.pending_update_count, info.max_connections) == (URL, 0, 5)
    assert info.allowed_updates == ("message",)
    # Polling is refused while a webhook is set, as Telegram refuses it.
    with pytest.raises(Conflict, match="webhook is active"):
        await ptb_bot.get_updates()


async def test_a_refused_post_is_recorded_and_retried(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot, receiver: Receiver
) -> None:
    receiver.status = 401
    await ptb_bot.set_webhook(URL, secret_token="abc")
    alice.send("halo")
    await server.wait_for(lambda: len(server.webhook_posts) >= 2)
    assert server.confirmed_update_id == 0 and len(server.pending_updates) == 1
    info = await ptb_bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 401 Unauthorized"
    assert info.pending_update_count == 1
    receiver.status = 200
    await server.wait_idle()
    assert [p.status for p in server.webhook_posts][-1] == 200


async def test_back_to_polling_after_delete_webhook(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot
) -> None:
    await ptb_bot.set_webhook(URL, secret_token="abc")
    assert await ptb_bot.delete_webhook()
    alice.send("lagi")
    updates = await ptb_bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["lagi"]
    assert (await ptb_bot.get_webhook_info()).url == ""


@pytest.mark.parametrize(
    ("url", "kwargs", "error"),
    [
        ("http://bot.example.org/hook", {}, "An HTTPS URL must be provided"),
        ("https://bot.example.org:8080/hook", {}, "only on ports 80, 88, 443 or 8443"),
        ("https://bot.example.org/hook", {"secret_token": "no spaces"}, "unallowed characters"),
        ("https://bot.example.org/hook", {"secret_token": "x" * 257}, "unallowed characters"),
        ("https://bot.example.org/hook", {"max_connections": 101}, "max_connections"),
    ],
)
async def test_set_webhook_refuses_what_telegram_refuses(
    server: FakeTelegram, ptb_bot: Bot, url: str, kwargs: dict[str, Any], error: str
) -> None:
    with pytest.raises(BadRequest, match=f"(?i){error}"):
        await ptb_bot.set_webhook(url, **kwargs)
    assert server.webhook is None
