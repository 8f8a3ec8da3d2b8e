"""getUpdates as Telegram runs it: offsets, limits, long polling, filters and bookkeeping."""

from __future__ import annotations

import asyncio

import pytest
from telegram import (
    Bot,
    ChatMemberBanned,
    ChatMemberMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from telegram.error import BadRequest, Conflict

from fakegram import FakeTelegram, FakeUser, WaitTimeout
from tests.fakegram.testkit import RawCall, last_error


async def test_update_ids_offset_and_confirmation(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot
) -> None:
    for text in ("satu", "dua", "tiga"):
        alice.send(text)
    assert server.last_update_id == 3

    first = await ptb_bot.get_updates()
    assert [u.update_id for u in first] == [1, 2, 3]
    assert server.delivered_update_id == 3 and server.confirmed_update_id == 0
    again = await ptb_bot.get_updates()  # nothing confirmed yet: same updates again
    assert [u.update_id for u in again] == [1, 2, 3]

    rest = await ptb_bot.get_updates(offset=3)  # confirms 1 and 2, which are forgotten
    assert [u.message.text for u in rest if u.message] == ["tiga"]
    assert server.confirmed_update_id == 2
    assert [u.update_id for u in await ptb_bot.get_updates()] == [3]

    assert await ptb_bot.get_updates(offset=4) == ()
    assert server.confirmed_update_id == 3 and server.pending_updates == []


async def test_negative_offset_and_limit(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot, raw: RawCall
) -> None:
    for n in range(5):
        alice.send(f"pesan {n}")
    assert [u.update_id for u in await ptb_bot.get_updates(limit=2)] == [1, 2]
    tail = await ptb_bot.get_updates(offset=-2)  # the last two; all before are forgotten
    assert [u.update_id for u in tail] == [4, 5]
    assert [u.update_id for u in await ptb_bot.get_updates()] == [4, 5]
    assert server.confirmed_update_id == 3

    for bad in (0, 101):
        status, body = await raw("getUpdates", json={"limit": bad})
        assert (status, body["description"]) == (
            400,
            "Bad Request: limit must be between 1 and 100",
        )
    with pytest.raises(BadRequest):
        await ptb_bot.get_updates(limit=500)


async def test_long_poll_wakes_when_a_user_acts(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot
) -> None:
    poll = asyncio.create_task(ptb_bot.get_updates(timeout=30))
    await server.wait_for(lambda: server.pending_polls == 1)
    assert not poll.done()
    alice.send("/start")
    updates = await asyncio.wait_for(poll, 5)
    assert [u.message.text for u in updates if u.message] == ["/start"]
    assert server.pending_polls == 0


async def test_long_poll_times_out_empty(server: FakeTelegram, raw: RawCall) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    status, body = await raw("getUpdates", json={"timeout": 1})
    assert (status, body) == (200, {"ok": True, "result": []})
    assert 0.9 <= loop.time() - started < 3


async def test_a_second_poller_terminates_the_first(
    server: FakeTelegram, ptb_bot: Bot, raw: RawCall
) -> None:
    first = asyncio.create_task(ptb_bot.get_updates(timeout=30))
    await server.wait_for(lambda: server.pending_polls == 1)
    assert (await raw("getUpdates", json={"timeout": 0}))[0] == 200
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first


async def test_allowed_updates_filter_future_updates(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot
) -> None:
    sent = await ptb_bot.send_message(1001, "Pilih", reply_markup=_one_button())
    await ptb_bot.get_updates(allowed_updates=["message"])
    press = alice.press(alice.inbox[-1], "Ya")
    assert press.update_id is None and len(server.dropped_updates) == 1
    alice.send("teks")
    updates = await ptb_bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["teks"]
    await ptb_bot.get_updates(allowed_updates=[])  # back to the default set
    alice.press(sent.message_id, "Ya")
    kinds = [u.callback_query is not None for u in await ptb_bot.get_updates()]
    assert kinds[-1]


async def test_webhook_methods_in_polling_mode(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot
) -> None:
    alice.send("a")
    alice.send("b")
    info = await ptb_bot.get_webhook_info()
    assert info.url == "" and info.pending_update_count == 2
    assert await ptb_bot.delete_webhook(drop_pending_updates=True)
    assert await ptb_bot.get_updates() == ()
    assert server.confirmed_update_id == 2
    # setWebhook itself: tests/fakegram/test_fakegram_webhook.py.


async def test_blocking_sends_my_chat_member_updates(alice: FakeUser, ptb_bot: Bot) -> None:
    alice.block()
    alice.unblock()
    blocked, unblocked = await ptb_bot.get_updates()
    assert blocked.my_chat_member is not None and unblocked.my_chat_member is not None
    assert isinstance(blocked.my_chat_member.new_chat_member, ChatMemberBanned)
    assert isinstance(unblocked.my_chat_member.new_chat_member, ChatMemberMember)
    assert blocked.my_chat_member.from_user.id == 1001


async def test_wait_for_wakes_on_api_calls_and_reports_on_timeout(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot
) -> None:
    async def later() -> None:
        await ptb_bot.send_message(1001, "sebentar")

    task = asyncio.create_task(later())
    message = await server.wait_for(lambda: alice.last)
    assert message.plain == "sebentar"
    await task

    with pytest.raises(BadRequest):
        await ptb_bot.send_message(1001, "")
    with pytest.raises(WaitTimeout, match="recent calls") as info:
        await server.wait_for(lambda: len(alice.inbox) > 5, timeout=0.05, description="six")
    assert "six" in str(info.value) and "message text is empty" in str(info.value)
    assert last_error(server) == "Bad Request: message text is empty"


def _one_button() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Ya", callback_data="ya")]])
