"""Fixtures for the fakegram tests: a started fake server, a PTB Bot on it, users, raw HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import Bot

from fakegram import FakeTelegram, FakeUser
from tests.fakegram.testkit import TOKEN, RawCall


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN, bot_username="properbot_test") as fake:
        yield fake


@pytest.fixture
async def ptb_bot(server: FakeTelegram) -> AsyncIterator[Bot]:
    """A python-telegram-bot Bot talking to the fake server over HTTP."""
    async with Bot(
        server.token, base_url=server.base_url, base_file_url=server.base_file_url
    ) as bot:
        yield bot


@pytest.fixture
def alice(server: FakeTelegram) -> FakeUser:
    return server.user(1001, "Alice", username="alice", language_code="id")


@pytest.fixture
async def raw(server: FakeTelegram) -> AsyncIterator[RawCall]:
    """Call the fake server without PTB: raw(method, http="POST", token=..., **request kwargs)."""
    async with aiohttp.ClientSession() as session:

        async def call(
            method: str, *, http: str = "POST", token: str = TOKEN, **kwargs: Any
        ) -> tuple[int, dict[str, Any]]:
            url = f"{server.api_root}/bot{token}/{method}"
            async with session.request(http, url, **kwargs) as response:
                return response.status, await response.json()

        yield call
