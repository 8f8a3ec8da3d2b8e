"""Simulated users and groups: messages, files, albums, button presses, commands, flood limits."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    MessageEntity,
)
from telegram.error import BadRequest, Forbidden, RetryAfter

from fakegram import TINY_JPEG, TINY_PNG, FakeTelegram, FakeUser, RateLimits
from tests.fakegram.testkit import TOKEN, RawCall, last_error


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_user_messages_look_like_telegram_updates(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot
) -> None:
    start = alice.send("/start ABC123")
    mention = alice.send("/help@properbot_test lihat https://example.org")
    (first, second) = await ptb_bot.get_updates()
    assert start.update_id == first.update_id == 1
    msg = first.message
    assert msg is not None and msg.text == "/start ABC123"
    assert msg.from_user is not None and msg.from_user.first_name == "Alice"
    assert msg.from_user.language_code == "id" and not msg.from_user.is_bot
    assert msg.chat.id == 1001 and msg.chat.type == "private"
    assert msg.entities == (MessageEntity("bot_command", 0, 6),)
    assert second.message is not None
    assert [e.type for e in second.message.entities] == ["bot_command", "url"]
    assert mention.message_id == start.message_id + 1


async def test_user_reply_carries_the_full_bot_message(alice: FakeUser, ptb_bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])
    asked = await ptb_bot.send_message(1001, "<b>Judul proyek?</b>", "HTML", reply_markup=markup)
    answer = alice.send("Digitalisasi arsip", reply_to=alice.inbox[-1])
    (update,) = await ptb_bot.get_updates()
    assert update.message is not None and update.message.reply_to_message is not None
    replied = update.message.reply_to_message
    assert replied.message_id == asked.message_id and replied.text == "Judul proyek?"
    assert replied.from_user is not None and replied.from_user.is_bot
    assert replied.reply_markup == markup
    assert answer.api["reply_to_message"]["message_id"] == asked.message_id
    with pytest.raises(AssertionError, match="cannot reply"):
        alice.send("x", reply_to=999)


async def test_user_edit_sends_edited_message(alice: FakeUser, ptb_bot: Bot) -> None:
    typo = alice.send("Jdul")
    alice.edit(typo, "Judul")
    updates = await ptb_bot.get_updates()
    assert updates[1].edited_message is not None
    assert updates[1].edited_message.text == "Judul"
    assert updates[1].edited_message.edit_date is not None


async def test_photo_round_trip_and_download(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot
) -> None:
    alice.send_photo(TINY_PNG, caption="Foto kegiatan")
    (update,) = await ptb_bot.get_updates()
    assert update.message is not None and update.message.caption == "Foto kegiatan"
    size = update.message.photo[-1]
    assert (size.width, size.height, size.file_size) == (1, 1, len(TINY_PNG))
    file = await size.get_file()
    assert file.file_path is not None and file.file_path.startswith(server.base_file_url)
    assert bytes(await file.download_as_bytearray()) == TINY_PNG

    # The bot can send the photo on by file_id; Telegram keeps the same file_unique_id.
    forwarded = await ptb_bot.send_photo(1001, size.file_id)
    assert forwarded.photo[-1].file_unique_id == size.file_unique_id
    assert alice.last is not None and alice.last.file_id == size.file_id


async def test_held_downloads_wait_until_released(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot
) -> None:
    alice.send_photo(TINY_PNG)
    (update,) = await ptb_bot.get_updates()
    assert update.message is not None
    file = await update.message.photo[-1].get_file()  # getFile itself is not held
    server.hold_downloads()
    download = asyncio.create_task(file.download_as_bytearray())
    await server.wait_for(lambda: server.downloads_waiting == 1)
    await asyncio.sleep(0.05)
    assert not download.done()
    server.release_downloads()
    assert bytes(await asyncio.wait_for(download, 5)) == TINY_PNG
    assert server.downloads_waiting == 0


async def test_document_round_trip(server: FakeTelegram, alice: FakeUser, ptb_bot: Bot) -> None:
    report = b"%PDF-1.4 laporan"
    alice.send_document(report, filename="laporan.pdf", mime_type="application/pdf")
    (update,) = await ptb_bot.get_updates()
    assert update.message is not None and update.message.document is not None
    document = update.message.document
    assert (document.file_name, document.mime_type) == ("laporan.pdf", "application/pdf")
    assert bytes(await (await document.get_file()).download_as_bytearray()) == report

    sent = await ptb_bot.send_document(1001, b"isi berkas", filename="rekap.csv")
    assert sent.document is not None and sent.document.file_name == "rekap.csv"
    stored = server.file(sent.document.file_id)
    assert stored is not None and stored.data == b"isi berkas"
    assert alice.last is not None and alice.last.kind == "document"


async def test_file_refusals(server: FakeTelegram, alice: FakeUser, ptb_bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Wrong file identifier/http url specified"):
        await ptb_bot.send_photo(1001, "AgACunknown")
    assert last_error(server) == "Bad Request: wrong file identifier/HTTP URL specified"
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await ptb_bot.get_file("BQACunknown")
    with pytest.raises(BadRequest, match="Image_process_failed"):
        await ptb_bot.send_photo(1001, b"this is not an image")
    photo = await ptb_bot.send_photo(1001, TINY_JPEG)
    with pytest.raises(BadRequest, match="Can't use file of type photo as document"):
        await ptb_bot.send_document(1001, photo.photo[-1].file_id)
    with pytest.raises(BadRequest, match="File must be non-empty"):
        await ptb_bot.send_document(1001, b"", filename="kosong.txt")


async def test_media_group_upload_and_file_ids(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot
) -> None:
    first = await ptb_bot.send_photo(1001, TINY_JPEG)
    album = await ptb_bot.send_media_group(
        1001,
        [
            InputMediaPhoto(TINY_PNG, caption="<b>Sebelum</b>", parse_mode="HTML"),
            InputMediaPhoto(first.photo[-1].file_id, caption="Sesudah"),
        ],
    )
    assert len(album) == 2
    assert album[0].media_group_id is not None
    assert album[0].media_group_id == album[1].media_group_id
    assert [m.caption for m in album] == ["Sebelum", "Sesudah"]
    assert [m.kind for m in alice.inbox[-2:]] == ["photo", "photo"]
    assert alice.inbox[-2].plain == "Sebelum" and alice.inbox[-2].text == "<b>Sebelum</b>"

    docs = await ptb_bot.send_media_group(
        1001,
        [InputMediaDocument(b"a", filename="a.txt"), InputMediaDocument(b"b", filename="b.txt")],
    )
    assert [m.document.file_name for m in docs if m.document] == ["a.txt", "b.txt"]

    with pytest.raises(BadRequest, match="Document can't be mixed"):
        await ptb_bot.send_media_group(
            1001, [InputMediaPhoto(TINY_JPEG), InputMediaDocument(b"x", filename="x.txt")]
        )
    with pytest.raises(BadRequest, match="2-10 items"):
        await ptb_bot.send_media_group(1001, [InputMediaPhoto(TINY_JPEG)])
    with pytest.raises(BadRequest, match="Too many messages"):
        await ptb_bot.send_media_group(1001, [InputMediaPhoto(TINY_JPEG)] * 11)


async def test_user_album_shares_media_group_id(alice: FakeUser, ptb_bot: Bot) -> None:
    sent = alice.send_album(
        [("photo", TINY_JPEG, "Halaman 1"), ("document", b"lampiran", None, "lampiran.txt")]
    )
    updates = await ptb_bot.get_updates()
    messages = [u.message for u in updates if u.message]
    assert len(messages) == 2 and sent[0].media_group_id == sent[1].media_group_id
    assert {m.media_group_id for m in messages} == {sent[0].media_group_id}
    assert messages[0].caption == "Halaman 1" and messages[0].photo
    assert messages[1].document is not None
    assert messages[1].document.file_name == "lampiran.txt"


async def test_press_answer_and_callback_refusals(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot
) -> None:
    clock = ManualClock()
    server.clock = clock
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Setuju", callback_data="consent:yes")],
            [InlineKeyboardButton("Panduan", url="https://example.org/panduan")],
        ]
    )
    await ptb_bot.send_message(1001, "Persetujuan", reply_markup=markup)
    consent = alice.last
    assert consent is not None
    press = alice.press(consent, "Setuju")
    (update,) = await ptb_bot.get_updates()
    query = update.callback_query
    assert query is not None and query.id == press.id and query.data == "consent:yes"
    assert query.from_user.id == 1001 and query.chat_instance
    assert query.message is not None and query.message.message_id == consent.message_id
    assert not press.answered

    assert await query.answer("Tercatat", show_alert=True)
    answer = server.answers_to(press)
    assert answer is not None and (answer.text, answer.show_alert) == ("Tercatat", True)
    assert press.answer == answer == server.answers_to(press.id)

    with pytest.raises(BadRequest, match="Query is too old"):
        await query.answer("lagi")
    assert last_error(server) == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )
    with pytest.raises(BadRequest, match="Query is too old"):
        await ptb_bot.answer_callback_query("12345")

    late = alice.press_data(consent, "consent:forged")
    clock.now += 15 * 60 + 1
    with pytest.raises(BadRequest, match="Query is too old"):
        await ptb_bot.answer_callback_query(late.id)

    fresh = alice.press(consent, "Setuju")
    with pytest.raises(BadRequest):
        await ptb_bot.answer_callback_query(fresh.id, text="x" * 201)
    await ptb_bot.answer_callback_query(fresh.id)
    assert fresh.answer is not None and fresh.answer.text is None

    with pytest.raises(AssertionError, match="no inline button 'Tolak'"):
        alice.press(consent, "Tolak")
    with pytest.raises(AssertionError, match="sends no callback query"):
        alice.press(consent, "Panduan")


async def test_commands_per_scope_and_language(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot
) -> None:
    await ptb_bot.set_my_commands([BotCommand("start", "Mulai"), BotCommand("bantuan", "Bantuan")])
    await ptb_bot.set_my_commands([BotCommand("start", "Start")], language_code="en")
    await ptb_bot.set_my_commands(
        [BotCommand("rekap", "Rekap mentor")], scope=BotCommandScopeChat(1001)
    )
    await ptb_bot.set_my_commands(
        [BotCommand("profil", "Profil")], scope=BotCommandScopeAllPrivateChats()
    )
    assert server.commands_for("default") == [("start", "Mulai"), ("bantuan", "Bantuan")]
    assert server.commands_for("default", language_code="en") == [("start", "Start")]
    assert server.commands_for("chat", 1001) == [("rekap", "Rekap mentor")]
    assert [c.command for c in await ptb_bot.get_my_commands(language_code="en")] == ["start"]
    assert alice.command_menu == [("rekap", "Rekap mentor")]
    assert server.menu_for(2002, "en") == [("profil", "Profil")]

    assert await ptb_bot.delete_my_commands(scope=BotCommandScopeChat(1001))
    assert await ptb_bot.delete_my_commands(scope=BotCommandScopeAllPrivateChats())
    assert server.commands_for("chat", 1001) == []
    assert alice.command_menu == [("start", "Mulai"), ("bantuan", "Bantuan")]

    for bad in ("Start", "/start", "x" * 33, "mulai-sesi"):
        with pytest.raises(BadRequest, match="Bot_command_invalid"):
            await ptb_bot.set_my_commands([BotCommand(bad, "x")])
    with pytest.raises(BadRequest, match="Bot_command_description_invalid"):
        await ptb_bot.set_my_commands([BotCommand("ok", "d" * 257)])
    with pytest.raises(BadRequest, match="Chat not found"):
        await ptb_bot.set_my_commands([BotCommand("ok", "ok")], scope=BotCommandScopeChat(77))


async def test_group_privacy_mode(server: FakeTelegram, alice: FakeUser, ptb_bot: Bot) -> None:
    group = server.group(-100500, "Angkatan 1")
    bot_post = await ptb_bot.send_message(-100500, "Selamat pagi")
    assert group.last is not None and group.last.message_id == bot_post.message_id

    chatter = alice.send("halo semua", chat=group)
    command = alice.send("/rekap@properbot_test", chat=group)
    other_bot = alice.send("/rekap@otherbot", chat=group)
    reply = alice.send("siap", chat=group, reply_to=group.last)
    mention = alice.send("@properbot_test tolong", chat=group)
    assert [m.delivered for m in (chatter, command, other_bot, reply, mention)] == [
        False,
        True,
        False,
        True,
        True,
    ]
    updates = await ptb_bot.get_updates()
    assert {u.message.chat.type for u in updates if u.message} == {"supergroup"}

    group.remove_bot(by=alice)
    with pytest.raises(Forbidden, match="bot was kicked from the supergroup chat"):
        await ptb_bot.send_message(-100500, "masih di sini?")


# PTB warns about its own RetryAfter.retry_after type change when formatting the error.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_rate_limits_answer_429_until_the_window_passes() -> None:
    clock = ManualClock()
    limits = RateLimits(per_second=30, per_chat_per_second=1, per_group_per_minute=20)
    async with FakeTelegram(TOKEN, rate_limits=limits, clock=clock) as server:
        alice = server.user(1001, "Alice")
        server.group(-100600, "Angkatan 2")
        async with Bot(TOKEN, base_url=server.base_url, base_file_url=server.base_file_url) as bot:
            await bot.send_message(1001, "satu")
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(1001, "dua")
            assert retry_seconds(caught.value) == 1
            assert server.errors[-1].status == 429
            assert server.errors[-1].description == "Too Many Requests: retry after 1"
            assert server.rate_limited == 1
            clock.now += 1.01
            await bot.send_message(1001, "dua")
            assert [m.plain for m in alice.inbox] == ["satu", "dua"]

            for n in range(20):
                await bot.send_message(-100600, f"pengumuman {n}")
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(-100600, "satu lagi")
            assert retry_seconds(caught.value) == 60
            clock.now += 60
            await bot.send_message(-100600, "satu lagi")


async def test_transcript_listener_and_history(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot, raw: RawCall
) -> None:
    events: list[tuple[str, int]] = []
    server.add_listener(lambda event, msg: events.append((event, msg.message_id)))
    alice.send("/start")
    status, body = await raw(
        "sendMessage",
        data={"chat_id": "1001", "text": "Halo", "reply_to_message_id": "1"},
    )
    assert status == 200 and body["result"]["reply_to_message"]["text"] == "/start"
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])
    second = await ptb_bot.send_message(1001, "Pilih", reply_markup=markup)
    await ptb_bot.edit_message_text("Dipilih", chat_id=1001, message_id=second.message_id)
    await ptb_bot.delete_message(1001, second.message_id)
    assert events == [("sent", 2), ("sent", 3), ("edited", 3), ("deleted", 3)]
    assert server.transcript(1001) == (
        "Alice: /start\nproperbot_test: Halo\nproperbot_test: Dipilih (deleted)"
    )
    assert [m.plain for m in server.sent_to(1001, include_deleted=False)] == ["Halo"]
    with pytest.raises(AssertionError, match="was deleted"):
        alice.press_data(second.message_id, "ok")


async def test_groups_resolve_by_username(server: FakeTelegram, ptb_bot: Bot) -> None:
    server.group(-100700, "Mentor Angkatan 3", username="mentor_a3")
    sent = await ptb_bot.send_message("@mentor_a3", "Rapat jam 9")
    assert sent.chat.id == -100700 and sent.chat.title == "Mentor Angkatan 3"


def retry_seconds(error: RetryAfter) -> float:
    """retry_after in seconds, whether PTB gives an int or (PTB_TIMEDELTA) a timedelta."""
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
