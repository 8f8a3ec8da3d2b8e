"""Sending, editing and deleting through PTB, and every refusal Telegram would make."""

from __future__ import annotations

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden

from fakegram import FakeTelegram, FakeUser
from tests.fakegram.testkit import last_error

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=label.lower()) for label in labels]]
    )


async def test_send_message_returns_a_telegram_message(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot
) -> None:
    sent = await ptb_bot.send_message(
        1001,
        "<b>Selamat datang</b>, Alice &amp; tim!",
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard("Setuju", "Tolak"),
        disable_notification=True,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    assert sent.text == "Selamat datang, Alice & tim!"
    assert sent.entities[0].type == "bold" and sent.entities[0].length == 14
    assert sent.chat.id == 1001 and sent.chat.type == "private"
    assert sent.chat.first_name == "Alice"
    assert sent.from_user is not None and sent.from_user.is_bot
    assert sent.from_user.username == "properbot_test"
    assert sent.date.timestamp() > 0
    assert sent.reply_markup == keyboard("Setuju", "Tolak")

    shown = alice.last
    assert shown is not None
    assert shown.message_id == sent.message_id
    assert shown.text == "<b>Selamat datang</b>, Alice &amp; tim!"
    assert shown.plain == "Selamat datang, Alice & tim!"
    assert shown.parse_mode == "HTML"
    assert shown.button_texts == ["Setuju", "Tolak"]
    assert shown.button("Tolak").callback_data == "tolak"
    assert shown.params["disable_notification"] is True


async def test_text_limits_count_utf16_units(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot
) -> None:
    await ptb_bot.send_message(1001, "a" * 4096)
    with pytest.raises(BadRequest, match="Message is too long"):
        await ptb_bot.send_message(1001, "a" * 4097)
    assert last_error(server) == "Bad Request: message is too long"
    await ptb_bot.send_message(1001, "😀" * 2048)  # 4096 UTF-16 code units
    with pytest.raises(BadRequest, match="Message is too long"):
        await ptb_bot.send_message(1001, "😀" * 2049)
    # The limit applies to the text after entity parsing, so markup does not count.
    await ptb_bot.send_message(1001, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")


async def test_empty_texts_are_refused(server: FakeTelegram, alice: FakeUser, ptb_bot: Bot) -> None:
    for text, mode in (("   ", None), ("<b> </b>", "HTML"), ("<i></i>\n", "HTML")):
        with pytest.raises(BadRequest, match="Message text is empty"):
            await ptb_bot.send_message(1001, text, parse_mode=mode)
        assert last_error(server) == "Bad Request: message text is empty"


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<b>tebal", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<blink>x</blink>", 'Unsupported start tag "blink" at byte offset 0'),
        ("nilai < 5", 'Unsupported start tag "" at byte offset 6'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<a href="x', "Unclosed start tag at byte offset 0"),
    ],
)
async def test_malformed_html_is_refused(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot, html: str, error: str
) -> None:
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await ptb_bot.send_message(1001, html, parse_mode=ParseMode.HTML)
    assert last_error(server) == f"Bad Request: can't parse entities: {error}"


async def test_supported_html_tags_parse(alice: FakeUser, ptb_bot: Bot) -> None:
    html = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        "<strike>k</strike><del>d</del><tg-spoiler>p</tg-spoiler>"
        '<span class="tg-spoiler">q</span><a href="https://example.org">a</a><code>c</code>'
        '<pre><code class="language-python">x = 1</code></pre><blockquote>kutipan</blockquote>'
    )
    sent = await ptb_bot.send_message(1001, html, parse_mode="HTML")
    types = [e.type for e in sent.entities]
    assert types == [
        "bold", "bold", "italic", "italic", "underline", "underline", "strikethrough",
        "strikethrough", "strikethrough", "spoiler", "spoiler", "text_link", "code", "pre",
        "blockquote",
    ]  # fmt: skip
    assert sent.entities[11].url == "https://example.org"
    assert sent.entities[13].language == "python"


async def test_markdown_v2_reserved_characters(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot
) -> None:
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await ptb_bot.send_message(1001, "Nilai: 9.5!", parse_mode=ParseMode.MARKDOWN_V2)
    assert last_error(server) == (
        "Bad Request: can't parse entities: Character '.' is reserved and must be escaped "
        "with the preceding '\\'"
    )
    sent = await ptb_bot.send_message(1001, r"*Nilai:* 9\.5\!", parse_mode="MarkdownV2")
    assert sent.text == "Nilai: 9.5!"
    with pytest.raises(BadRequest, match="Unsupported parse_mode"):
        await ptb_bot.send_message(1001, "x", parse_mode="BBCode")


async def test_caption_limit(server: FakeTelegram, alice: FakeUser, ptb_bot: Bot) -> None:
    from fakegram import TINY_JPEG

    await ptb_bot.send_photo(1001, TINY_JPEG, caption="c" * 1024)
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await ptb_bot.send_photo(1001, TINY_JPEG, caption="c" * 1025)
    assert last_error(server) == "Bad Request: message caption is too long"


def one_button(callback_data: str | None = None, url: str | None = None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data=callback_data, url=url)]])


async def test_inline_button_checks(server: FakeTelegram, alice: FakeUser, ptb_bot: Bot) -> None:
    await ptb_bot.send_message(1001, "ok", reply_markup=one_button(callback_data="d" * 64))
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await ptb_bot.send_message(1001, "x", reply_markup=one_button(callback_data="d" * 65))
    assert last_error(server) == "Bad Request: BUTTON_DATA_INVALID"
    # The limit is 64 bytes, not characters: 33 two-byte characters are too many.
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await ptb_bot.send_message(1001, "x", reply_markup=one_button(callback_data="é" * 33))
    with pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed"):
        await ptb_bot.send_message(1001, "x", reply_markup=one_button())
    assert last_error(server) == (
        "Bad Request: can't parse inline keyboard button: "
        "Text buttons are unallowed in the inline keyboard"
    )
    with pytest.raises(BadRequest, match="Button_url_invalid"):
        await ptb_bot.send_message(1001, "x", reply_markup=one_button(url="nope"))
    site = "https://kemendagri.go.id"
    sent = await ptb_bot.send_message(1001, "x", reply_markup=one_button(url=site))
    assert sent.reply_markup is not None
    assert alice.last is not None and alice.last.buttons[0][0].url == site


async def test_reply_keyboard_tap_and_remove(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot
) -> None:
    await ptb_bot.send_message(
        1001,
        "Pilih peran",
        reply_markup=ReplyKeyboardMarkup(
            [[KeyboardButton("Peserta"), KeyboardButton("Mentor")]], one_time_keyboard=True
        ),
    )
    assert alice.last is not None and alice.last.keyboard == [["Peserta", "Mentor"]]
    tapped = alice.tap("Mentor")
    assert tapped.text == "Mentor"
    with pytest.raises(AssertionError, match="no button 'Coach'"):
        alice.tap("Coach")
    await ptb_bot.send_message(1001, "Terima kasih", reply_markup=ReplyKeyboardRemove())
    with pytest.raises(AssertionError, match="no reply keyboard"):
        alice.tap("Mentor")


async def test_chat_not_found_blocked_and_not_started(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot
) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await ptb_bot.send_message(424242, "halo")
    assert last_error(server) == "Bad Request: chat not found"
    with pytest.raises(BadRequest, match="Chat not found"):
        await ptb_bot.send_message("@alice", "halo")  # users are not reachable by @username

    alice.block()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await ptb_bot.send_message(1001, "halo")
    assert server.errors[-1].status == 403
    with pytest.raises(Forbidden):
        await ptb_bot.send_chat_action(1001, "typing")
    with pytest.raises(AssertionError, match="unblock"):
        alice.send("halo")
    alice.unblock()
    await ptb_bot.send_message(1001, "halo lagi")

    shy = server.user(2002, "Shy", started=False)
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await ptb_bot.send_message(2002, "halo")
    shy.send("/start")
    await ptb_bot.send_message(2002, "halo")


async def test_replies_to_user_and_bot_messages(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot
) -> None:
    question = alice.send("Kapan coaching?")
    answer = await ptb_bot.send_message(
        1001, "Besok", reply_parameters=ReplyParameters(question.message_id)
    )
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "Kapan coaching?"
    assert alice.last is not None and alice.last.reply_to_message_id == question.message_id

    legacy = await ptb_bot.send_message(1001, "Lagi", reply_to_message_id=answer.message_id)
    assert legacy.reply_to_message is not None
    assert legacy.reply_to_message.message_id == answer.message_id

    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await ptb_bot.send_message(1001, "x", reply_parameters=ReplyParameters(999))
    assert last_error(server) == "Bad Request: message to be replied not found"
    loose = await ptb_bot.send_message(
        1001, "x", reply_parameters=ReplyParameters(999, allow_sending_without_reply=True)
    )
    assert loose.reply_to_message is None


async def test_edit_text_history_and_keyboard_rules(
    server: FakeTelegram, alice: FakeUser, ptb_bot: Bot
) -> None:
    sent = await ptb_bot.send_message(1001, "Setuju?", reply_markup=keyboard("Ya", "Tidak"))
    edited = await ptb_bot.edit_message_text(
        "<i>Tercatat</i>",
        chat_id=1001,
        message_id=sent.message_id,
        parse_mode="HTML",
        reply_markup=keyboard("Batalkan"),
    )
    assert not isinstance(edited, bool) and edited.edit_date is not None
    msg = alice.last
    assert msg is not None
    assert msg.plain == "Tercatat" and msg.button_texts == ["Batalkan"]
    assert [rev.plain for rev in msg.edits] == ["Setuju?"]
    assert msg.edits[0].buttons[0][1].text == "Tidak"

    with pytest.raises(BadRequest, match="Message is not modified"):
        await ptb_bot.edit_message_text(
            "<i>Tercatat</i>",
            chat_id=1001,
            message_id=sent.message_id,
            parse_mode="HTML",
            reply_markup=keyboard("Batalkan"),
        )
    assert last_error(server) == NOT_MODIFIED

    # Editing the text without reply_markup removes the inline keyboard, as in Telegram.
    await ptb_bot.edit_message_text("Tercatat", chat_id=1001, message_id=sent.message_id)
    assert msg.button_texts == [] and msg.plain == "Tercatat"

    await ptb_bot.edit_message_reply_markup(1001, sent.message_id, reply_markup=keyboard("Ulang"))
    assert msg.button_texts == ["Ulang"]
    with pytest.raises(BadRequest, match="Message is not modified"):
        await ptb_bot.edit_message_reply_markup(
            1001, sent.message_id, reply_markup=keyboard("Ulang")
        )
    await ptb_bot.edit_message_reply_markup(1001, sent.message_id)
    assert msg.buttons == [] and len(msg.edits) == 4


async def test_edit_refusals(server: FakeTelegram, alice: FakeUser, ptb_bot: Bot) -> None:
    from fakegram import TINY_JPEG

    with pytest.raises(BadRequest, match="Message to edit not found"):
        await ptb_bot.edit_message_text("x", chat_id=1001, message_id=77)
    assert last_error(server) == "Bad Request: message to edit not found"
    mine = alice.send("tulisan saya")
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await ptb_bot.edit_message_text("x", chat_id=1001, message_id=mine.message_id)
    photo = await ptb_bot.send_photo(1001, TINY_JPEG, caption="lama")
    with pytest.raises(BadRequest, match="There is no text in the message to edit"):
        await ptb_bot.edit_message_text("x", chat_id=1001, message_id=photo.message_id)
    text = await ptb_bot.send_message(1001, "teks")
    with pytest.raises(BadRequest, match="There is no caption in the message to edit"):
        await ptb_bot.edit_message_caption(1001, text.message_id, caption="x")
    with pytest.raises(BadRequest, match="Message_too_long"):
        await ptb_bot.edit_message_text("x" * 4097, chat_id=1001, message_id=text.message_id)

    await ptb_bot.edit_message_caption(1001, photo.message_id, caption="baru")
    shown = alice.inbox[-2]
    assert shown.caption == "baru" and shown.edits[0].text == "lama"
    with pytest.raises(BadRequest, match="Message is not modified"):
        await ptb_bot.edit_message_caption(1001, photo.message_id, caption="baru")


async def test_delete_messages(server: FakeTelegram, alice: FakeUser, ptb_bot: Bot) -> None:
    first = await ptb_bot.send_message(1001, "satu")
    second = await ptb_bot.send_message(1001, "dua")
    assert await ptb_bot.delete_message(1001, first.message_id)
    assert [m.plain for m in alice.inbox] == ["dua"]
    assert server.sent_to(1001)[0].deleted
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await ptb_bot.delete_message(1001, first.message_id)
    assert last_error(server) == "Bad Request: message to delete not found"
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await ptb_bot.edit_message_text("x", chat_id=1001, message_id=first.message_id)
    incoming = alice.send("hapus ini")
    assert await ptb_bot.delete_messages(1001, [second.message_id, incoming.message_id, 999])
    assert alice.inbox == [] and incoming.deleted


async def test_chat_actions(server: FakeTelegram, alice: FakeUser, ptb_bot: Bot) -> None:
    assert await ptb_bot.send_chat_action(1001, "upload_document")
    assert [(a.chat_id, a.action) for a in server.chat_actions] == [(1001, "upload_document")]
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await ptb_bot.send_chat_action(1001, "dancing")


async def test_get_chat(alice: FakeUser, ptb_bot: Bot) -> None:
    chat = await ptb_bot.get_chat(1001)
    assert chat.id == 1001 and chat.first_name == "Alice" and chat.username == "alice"
