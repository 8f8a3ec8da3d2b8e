"""fakegram's HTTP surface: tokens, method names, parameter encodings and type checks."""

from __future__ import annotations

import json

import aiohttp
import pytest
from telegram import Bot
from telegram.error import BadRequest, EndPointNotFound, InvalidToken

from fakegram import FakeTelegram, FakeUser, implemented_methods
from fakegram.spec import load_spec
from tests.fakegram.testkit import RawCall, last_error


async def test_wrong_token_is_unauthorized(server: FakeTelegram, raw: RawCall) -> None:
    status, body = await raw("getMe", token="123456:WRONG")
    assert (status, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})

    bot = Bot("999:NOPE", base_url=server.base_url, base_file_url=server.base_file_url)
    with pytest.raises(InvalidToken):
        await bot.initialize()


async def test_unknown_method_is_not_found(raw: RawCall, ptb_bot: Bot) -> None:
    status, body = await raw("sendTelepathy", json={"chat_id": 1})
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    with pytest.raises(EndPointNotFound):
        await ptb_bot.do_api_request("sendTelepathy")


async def test_method_names_are_case_insensitive(raw: RawCall) -> None:
    status, body = await raw("GETME")
    assert status == 200
    assert body["result"]["username"] == "properbot_test"
    assert body["result"]["id"] == 123456


async def test_parameters_from_query_form_json_and_multipart(
    server: FakeTelegram, alice: FakeUser, raw: RawCall
) -> None:
    assert (await raw("sendMessage", http="GET", params={"chat_id": "1001", "text": "q"}))[0] == 200
    assert (await raw("sendMessage", data={"chat_id": "1001", "text": "form"}))[0] == 200
    assert (await raw("sendMessage", json={"chat_id": 1001, "text": "json"}))[0] == 200
    form = aiohttp.FormData()
    form.add_field("chat_id", "1001")
    form.add_field("text", "multipart")
    form.add_field("reply_markup", json.dumps({"remove_keyboard": True}))
    assert (await raw("sendMessage", data=form))[0] == 200
    assert [m.plain for m in alice.inbox] == ["q", "form", "json", "multipart"]
    assert alice.last is not None and alice.last.removes_keyboard


async def test_json_body_objects_may_be_inline(alice: FakeUser, raw: RawCall) -> None:
    markup = {"inline_keyboard": [[{"text": "Ya", "callback_data": "y"}]]}
    status, body = await raw(
        "sendMessage", json={"chat_id": 1001, "text": "x", "reply_markup": markup}
    )
    assert status == 200, body
    assert body["result"]["reply_markup"] == markup


async def test_missing_required_fields(server: FakeTelegram, alice: FakeUser, raw: RawCall) -> None:
    assert (await raw("sendMessage", json={"chat_id": 1001}))[1]["description"] == (
        "Bad Request: message text is empty"
    )
    assert (await raw("sendMessage", json={"text": "hi"}))[1]["description"] == (
        "Bad Request: chat_id is empty"
    )
    status, body = await raw("getFile", json={})
    assert (status, body["description"]) == (400, "Bad Request: file_id is required")
    assert (await raw("sendPhoto", json={"chat_id": 1001}))[1]["description"] == (
        "Bad Request: there is no photo in the request"
    )


async def test_wrong_basic_types_are_refused(alice: FakeUser, raw: RawCall) -> None:
    status, body = await raw("getUpdates", data={"limit": "many"})
    assert status == 400
    assert body["description"] == (
        "Bad Request: parameter \"limit\" must be of type Integer, got 'many'"
    )
    status, body = await raw(
        "sendMessage", data={"chat_id": "1001", "text": "x", "disable_notification": "perhaps"}
    )
    assert status == 400 and "Boolean" in body["description"]
    status, body = await raw(
        "sendMessage", data={"chat_id": "1001", "text": "x", "reply_markup": "{not json"}
    )
    assert body["description"] == "Bad Request: can't parse reply keyboard markup JSON object"
    status, body = await raw(
        "sendMessage",
        data={"chat_id": "1001", "text": "x", "reply_markup": '{"inline_keyboard": [[{}]]}'},
    )
    assert status == 400
    assert 'Can\'t find field "text"' in body["description"]


async def test_unimplemented_method_is_reported_and_logged(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)not implemented by fakegram"):
        await ptb_bot.send_poll(1001, "Kapan?", ["Senin", "Selasa"])
    assert server.unimplemented == ["sendPoll"]
    assert last_error(server) == "Bad Request: method sendPoll is not implemented by fakegram"
    assert server.calls_to("sendPoll")[0].params["question"] == "Kapan?"


async def test_unknown_paths_and_files_are_404(server: FakeTelegram) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{server.api_root}/nothing/here") as response:
            assert response.status == 404
            assert (await response.json())["description"] == "Not Found"
        url = f"{server.base_file_url}{server.token}/photos/none.jpg"
        async with session.get(url) as response:
            assert response.status == 404


def test_spec_is_bundled_and_core_methods_exist() -> None:
    spec = load_spec()
    assert spec.version == "Bot API 10.1"
    for name in implemented_methods():
        assert spec.method(name) is not None, name
    assert spec.method("sendmessage") is spec.method("sendMessage")


def test_token_must_carry_the_bot_id() -> None:
    with pytest.raises(ValueError, match="bot id"):
        FakeTelegram(token="not-a-token")
